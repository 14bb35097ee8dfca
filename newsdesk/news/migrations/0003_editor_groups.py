"""Groups "Editor" (may publish) and "Reporter" (drafts only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Editor": [
        "add_article", "change_article", "delete_article", "view_article",
        "publish_article", "add_tag", "change_tag", "view_tag", "add_category",
        "change_category", "view_category", "add_source", "change_source",
        "view_source",
    ],
    "Reporter": ["add_article", "change_article", "view_article", "add_tag",
                 "view_tag", "view_category", "view_source"],
}  # fmt: skip


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label="news", codename__in=codenames
        )
        group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("news", "0002_search_fts"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, remove_groups)]

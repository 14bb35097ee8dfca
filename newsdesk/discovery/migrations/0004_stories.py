import django.db.models.deletion
from django.db import migrations, models


def forget_old_story_ids(apps, schema_editor):
    # Cluster.story_id named a story's first article; it now names a Story row.
    # The rows are derived data: `python -m newsdesk discovery rebuild` (or the
    # next change of each article) writes them again.
    apps.get_model("discovery", "Cluster").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('discovery', '0003_index_identity'),
        ('news', '0003_editor_groups'),
    ]

    operations = [
        migrations.CreateModel(
            name='Story',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(blank=True, max_length=200, null=True, unique=True)),
                ('title', models.CharField(blank=True, max_length=300)),
                ('title_pinned', models.BooleanField(default=False, help_text='Keep this title; otherwise it follows the reports.')),
                ('merged_by_editor', models.BooleanField(default=False)),
                ('size', models.PositiveIntegerField(default=0, help_text='Live reports.')),
                ('first_published_at', models.DateTimeField(blank=True, null=True)),
                ('last_published_at', models.DateTimeField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('merged_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='discovery.story')),
            ],
            options={
                'verbose_name_plural': 'stories',
                'indexes': [models.Index(fields=['-last_published_at'], name='story_latest')],
            },
        ),
        migrations.CreateModel(
            name='StoryPin',
            fields=[
                ('article', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='news.article')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('story', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pins', to='discovery.story')),
            ],
        ),
        migrations.CreateModel(
            name='StoryMember',
            fields=[
            ],
            options={
                'verbose_name': 'story member',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('discovery.cluster',),
        ),
        migrations.RunPython(forget_old_story_ids, migrations.RunPython.noop),
    ]

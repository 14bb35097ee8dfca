from django.db import migrations, models


class Migration(migrations.Migration):
    """The related index moves from a file beside the database (named by
    IndexIdentity) into the database itself, where every host sees it. The old
    files are left alone: the first writer builds the index from the articles."""

    dependencies = [
        ("discovery", "0004_stories"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndexState",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
                ("generation", models.BigIntegerField(default=0)),
                ("engine", models.CharField(help_text="The related engine's class.", max_length=200)),
                ("related", models.BinaryField()),
                ("stories", models.BinaryField()),
                ("saved_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.DeleteModel(name="IndexIdentity"),
    ]

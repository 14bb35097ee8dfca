import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Fingerprint the articles ingest already wrote (they carry an external id)."""
    from newsdesk.ingest.duplicates import content_digest

    Article = apps.get_model("news", "Article")
    ContentFingerprint = apps.get_model("ingest", "ContentFingerprint")
    rows = (
        Article.objects.exclude(external_id="")
        .values_list("pk", "headline", "body_text")
        .iterator(chunk_size=2000)
    )
    batch = []
    for pk, headline, body_text in rows:
        batch.append(
            ContentFingerprint(article_id=pk, digest=content_digest(headline, body_text))
        )
        if len(batch) >= 2000:
            ContentFingerprint.objects.bulk_create(batch)
            batch = []
    ContentFingerprint.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0001_initial"),
        ("news", "0003_editor_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentFingerprint",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="news.article",
                    ),
                ),
                ("digest", models.CharField(db_index=True, max_length=64)),
            ],
        ),
        migrations.AlterField(
            model_name="ingesterror",
            name="stage",
            field=models.CharField(
                choices=[
                    ("fetch", "Fetch"),
                    ("parse", "Parse"),
                    ("item", "Item"),
                    ("run", "Run"),
                ],
                max_length=10,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

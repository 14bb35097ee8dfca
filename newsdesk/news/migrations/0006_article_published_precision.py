"""Article.published_precision: publication times known to the minute or the day.

Added with plain ALTER TABLE on every database: on SQLite, Django's AddField of
a NOT NULL column rebuilds the table, which would drop the FTS triggers of
0002_search_fts. A constant DEFAULT lets SQLite add the column in place.
"""

from django.db import migrations, models

ADD = (
    "ALTER TABLE news_article ADD COLUMN published_precision varchar(6) "
    "DEFAULT 'minute' NOT NULL"
)
DROP = "ALTER TABLE news_article DROP COLUMN published_precision"


class Migration(migrations.Migration):
    dependencies = [("news", "0005_original_url_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="article",
                    name="published_precision",
                    field=models.CharField(
                        choices=[("minute", "Date and time"), ("day", "Date only")],
                        db_default="minute",
                        default="minute",
                        help_text="Whether the publication times are known to the "
                        "minute or only to the day (both published and originally "
                        "published).",
                        max_length=6,
                    ),
                )
            ],
        )
    ]

"""SQLite: the vocabulary of the FTS5 index (fts5vocab), read by term ranges to
find spelling variants of names and suggestions for unknown words. It is a view
of the index, so it is always in step with it. Other databases skip this."""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE news_article_fts_vocab "
    "USING fts5vocab(news_article_fts, 'row')",
]
DROP = ["DROP TABLE IF EXISTS news_article_fts_vocab"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("news", "0008_body_images")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]

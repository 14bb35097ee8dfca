"""SQLite FTS5 index of article text, kept in step by triggers.

External-content table: the text lives once, in news_article; the triggers keep
the index right whatever writes the row (ORM, admin, raw SQL). Other databases
use their own search backend (newsdesk.news.search) and skip this migration.
"""

from django.db import migrations

CREATE = [
    """CREATE VIRTUAL TABLE news_article_fts USING fts5(
        headline, standfirst, body_text,
        content='news_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER news_article_fts_ai AFTER INSERT ON news_article BEGIN
        INSERT INTO news_article_fts(rowid, headline, standfirst, body_text)
        VALUES (new.id, new.headline, new.standfirst, new.body_text);
    END""",
    """CREATE TRIGGER news_article_fts_ad AFTER DELETE ON news_article BEGIN
        INSERT INTO news_article_fts(news_article_fts, rowid, headline, standfirst, body_text)
        VALUES ('delete', old.id, old.headline, old.standfirst, old.body_text);
    END""",
    """CREATE TRIGGER news_article_fts_au AFTER UPDATE OF headline, standfirst, body_text
        ON news_article BEGIN
        INSERT INTO news_article_fts(news_article_fts, rowid, headline, standfirst, body_text)
        VALUES ('delete', old.id, old.headline, old.standfirst, old.body_text);
        INSERT INTO news_article_fts(rowid, headline, standfirst, body_text)
        VALUES (new.id, new.headline, new.standfirst, new.body_text);
    END""",
    "INSERT INTO news_article_fts(news_article_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS news_article_fts_au",
    "DROP TRIGGER IF EXISTS news_article_fts_ad",
    "DROP TRIGGER IF EXISTS news_article_fts_ai",
    "DROP TABLE IF EXISTS news_article_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("news", "0001_initial")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]

"""PostgreSQL: a stored, indexed search vector and the vocabulary of the index.

- `newsdesk_search`: the english configuration with unaccent before the stemmer,
  so "Kraków" and "Krakow" are one word (as remove_diacritics does on SQLite).
- `news_article.search_vector`: a generated column (headline A, standfirst B,
  text D) with a GIN index: queries no longer compute every article's vector.
- `news_search_lexeme`: every lexeme of the index with the number of articles
  holding it, kept exact by statement-level triggers (one sorted upsert per
  statement, so a bulk import is one upsert and two writers take row locks in
  the same order; TRUNCATE of articles empties it too). Read by ranges for name variants and spelling
  suggestions, by key for document frequencies.

SQLite skips this migration (its index is migration 0002, its vocabulary 0006).
The model does not declare these: only newsdesk.news.search.postgres reads them.
"""

from django.db import migrations

CONFIG = "newsdesk_search"
VECTOR_SQL = (
    f"setweight(to_tsvector('{CONFIG}', coalesce(headline, '')), 'A') || "
    f"setweight(to_tsvector('{CONFIG}', coalesce(standfirst, '')), 'B') || "
    f"setweight(to_tsvector('{CONFIG}', coalesce(body_text, '')), 'D')"
)

# Adds each lexeme's change in article count; rows in lexeme order so that two
# writers take the row locks in the same order (no deadlock).
_UPSERT = (
    "INSERT INTO news_search_lexeme AS l (lexeme, ndoc) "
    "SELECT lexeme, sum(d) FROM ({rows}) AS r, "
    "unnest(tsvector_to_array(r.v)) AS lexeme "
    "GROUP BY lexeme HAVING sum(d) <> 0 ORDER BY lexeme "
    "ON CONFLICT (lexeme) DO UPDATE SET ndoc = l.ndoc + EXCLUDED.ndoc"
)

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)",
    f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    f"ALTER TABLE news_article ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR_SQL}) STORED",
    "CREATE INDEX news_article_search ON news_article USING gin (search_vector)",
    'CREATE TABLE news_search_lexeme (lexeme text COLLATE "C" PRIMARY KEY, '
    "ndoc integer NOT NULL)",
    "INSERT INTO news_search_lexeme (lexeme, ndoc) SELECT lexeme, count(*) "
    "FROM news_article, unnest(tsvector_to_array(search_vector)) AS lexeme "
    "GROUP BY lexeme",
    # Statement-level triggers with transition tables: one sorted upsert per
    # statement, however many rows it wrote (a bulk import is one statement).
    f"""CREATE FUNCTION news_search_lexeme_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_UPSERT.format(rows="SELECT search_vector AS v, 1 AS d FROM new_rows")};
        ELSIF TG_OP = 'DELETE' THEN
            {_UPSERT.format(rows="SELECT search_vector AS v, -1 AS d FROM old_rows")};
        ELSE
            {
        _UPSERT.format(
            rows="SELECT search_vector AS v, 1 AS d FROM new_rows "
            "UNION ALL SELECT search_vector, -1 FROM old_rows"
        )
    };
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER news_search_lexeme_insert AFTER INSERT ON news_article
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION news_search_lexeme_count()""",
    """CREATE TRIGGER news_search_lexeme_update AFTER UPDATE ON news_article
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION news_search_lexeme_count()""",
    """CREATE TRIGGER news_search_lexeme_delete AFTER DELETE ON news_article
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION news_search_lexeme_count()""",
    """CREATE FUNCTION news_search_lexeme_clear() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM news_search_lexeme;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER news_search_lexeme_clear AFTER TRUNCATE ON news_article
    FOR EACH STATEMENT EXECUTE FUNCTION news_search_lexeme_clear()""",
]
DROP = [
    "DROP TRIGGER IF EXISTS news_search_lexeme_clear ON news_article",
    "DROP FUNCTION IF EXISTS news_search_lexeme_clear()",
    "DROP TRIGGER IF EXISTS news_search_lexeme_delete ON news_article",
    "DROP TRIGGER IF EXISTS news_search_lexeme_update ON news_article",
    "DROP TRIGGER IF EXISTS news_search_lexeme_insert ON news_article",
    "DROP FUNCTION IF EXISTS news_search_lexeme_count()",
    "DROP TABLE IF EXISTS news_search_lexeme",
    "DROP INDEX IF EXISTS news_article_search",
    "ALTER TABLE news_article DROP COLUMN IF EXISTS search_vector",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("news", "0009_search_vocabulary")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]

"""PostgreSQL: the search vocabulary (news_search_lexeme) is counted at most
twice per transaction (its first statement, then once at commit) instead of
once per statement.

Why: each article's statement upserted every one of its lexemes, so common
words ("news", "said") were updated by every article. Inside one transaction
that holds a savepoint per article (an import or feed run in an outer
transaction, the demo load in the tests) every update leaves a row version
owned by another subtransaction; past 64 of them PostgreSQL resolves each
version through pg_subtrans, and each upsert walks the whole chain: ~28 ms per
article after 10,000 articles, quadratic in the batch.

Now the first statement of a transaction still upserts directly (an article
saved or ingested in its own transaction costs what it did); later statements
only append their change (lexeme, +1 or -1) to a per-session temporary table
(insert-only: no row is updated twice, no WAL), and a deferred constraint
trigger folds it into news_search_lexeme at commit with one sorted, set-based
upsert. Other sessions see the vocabulary exact at every commit, as before. A
transaction that reads the vocabulary after writing articles calls
news_search_lexeme_fold() first (newsdesk.news.search.postgres does).

SQLite skips this migration (its vocabulary is a view of the FTS5 index).
"""

from django.db import migrations

PENDING = "pg_temp.news_search_lexeme_pending"
# This transaction's state: '' nothing counted yet, 'direct' counted straight
# into news_search_lexeme, 'on' changes pending in PENDING.
FLAG = "newsdesk.search_lexemes_pending"
_STATE = f"coalesce(current_setting('{FLAG}', true), '')"

_UPSERT = (
    "INSERT INTO news_search_lexeme AS l (lexeme, ndoc) "
    "SELECT lexeme, sum(d) FROM {rows} "
    "GROUP BY lexeme HAVING sum(d) <> 0 ORDER BY lexeme "
    "ON CONFLICT (lexeme) DO UPDATE SET ndoc = l.ndoc + EXCLUDED.ndoc"
)
# A statement's change as (lexeme, +1 or -1) rows.
_INSERTED = (
    "SELECT lexeme, 1 AS d FROM new_rows, "
    "unnest(tsvector_to_array(new_rows.search_vector)) AS lexeme"
)
_DELETED = (
    "SELECT lexeme, -1 AS d FROM old_rows, "
    "unnest(tsvector_to_array(old_rows.search_vector)) AS lexeme"
)
_UPDATED = (
    "SELECT lexeme, d FROM (SELECT search_vector AS v, 1 AS d FROM new_rows "
    "UNION ALL SELECT search_vector, -1 FROM old_rows) AS r, "
    "unnest(tsvector_to_array(r.v)) AS lexeme"
)

CREATE = [
    # The first statement of a transaction that writes articles counts its
    # change directly (a feed item or an admin save commits alone: one upsert,
    # as before). Later statements of the same transaction append theirs to
    # PENDING: the table lives for the session, its rows for the transaction
    # (ON COMMIT DELETE ROWS); a rolled-back savepoint takes its rows and its
    # change of FLAG with it.
    f"""CREATE OR REPLACE FUNCTION news_search_lexeme_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        state text := {_STATE};
        added bigint;
    BEGIN
        IF state = '' THEN
            IF TG_OP = 'INSERT' THEN
                {_UPSERT.format(rows=f"({_INSERTED}) AS c")};
            ELSIF TG_OP = 'DELETE' THEN
                {_UPSERT.format(rows=f"({_DELETED}) AS c")};
            ELSE
                {_UPSERT.format(rows=f"({_UPDATED}) AS c")};
            END IF;
            PERFORM set_config('{FLAG}', 'direct', true);
            RETURN NULL;
        END IF;
        IF state = 'direct' AND to_regclass('{PENDING}') IS NULL THEN
            CREATE TEMP TABLE news_search_lexeme_pending (
                lexeme text COLLATE "C" NOT NULL, d integer NOT NULL
            ) ON COMMIT DELETE ROWS;
        END IF;
        IF TG_OP = 'INSERT' THEN
            INSERT INTO {PENDING} (lexeme, d) {_INSERTED};
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {PENDING} (lexeme, d) {_DELETED};
        ELSE
            -- Only the difference: an update that leaves the text alone
            -- (status, dates, counters) appends nothing.
            INSERT INTO {PENDING} (lexeme, d)
            SELECT lexeme, sum(d)::integer FROM ({_UPDATED}) AS c
            GROUP BY lexeme HAVING sum(d) <> 0;
        END IF;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added > 0 THEN
            PERFORM set_config('{FLAG}', 'on', true);
        END IF;
        RETURN NULL;
    END $$""",
    # The one write to news_search_lexeme: rows in lexeme order so that two
    # writers take the row locks in the same order (no deadlock).
    f"""CREATE FUNCTION news_search_lexeme_fold() RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        IF {_STATE} <> 'on' THEN
            RETURN;
        END IF;
        {_UPSERT.format(rows=PENDING)};
        DELETE FROM {PENDING};
        PERFORM set_config('{FLAG}', 'direct', true);
    END $$""",
    """CREATE FUNCTION news_search_lexeme_commit() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM news_search_lexeme_fold();
        RETURN NULL;
    END $$""",
    # Constraint triggers are row-level only: every changed row queues one
    # event; the first folds, the others find nothing pending.
    """CREATE CONSTRAINT TRIGGER news_search_lexeme_fold
    AFTER INSERT OR UPDATE OR DELETE ON news_article
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION news_search_lexeme_commit()""",
    # TRUNCATE empties the vocabulary and drops what this transaction had
    # pending (counts of rows that are gone).
    f"""CREATE OR REPLACE FUNCTION news_search_lexeme_clear() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM news_search_lexeme;
        IF {_STATE} = 'on' THEN
            DELETE FROM {PENDING};
            PERFORM set_config('{FLAG}', 'direct', true);
        END IF;
        RETURN NULL;
    END $$""",
]

# Back to 0010's functions: one sorted upsert per statement.
_OLD_ROWS = "({rows}) AS r, unnest(tsvector_to_array(r.v)) AS lexeme"
DROP = [
    "DROP TRIGGER IF EXISTS news_search_lexeme_fold ON news_article",
    "DROP FUNCTION IF EXISTS news_search_lexeme_commit()",
    "DROP FUNCTION IF EXISTS news_search_lexeme_fold()",
    f"""CREATE OR REPLACE FUNCTION news_search_lexeme_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {
        _UPSERT.format(
            rows=_OLD_ROWS.format(rows="SELECT search_vector AS v, 1 AS d FROM new_rows")
        )
    };
        ELSIF TG_OP = 'DELETE' THEN
            {
        _UPSERT.format(
            rows=_OLD_ROWS.format(
                rows="SELECT search_vector AS v, -1 AS d FROM old_rows"
            )
        )
    };
        ELSE
            {
        _UPSERT.format(
            rows=_OLD_ROWS.format(
                rows="SELECT search_vector AS v, 1 AS d FROM new_rows "
                "UNION ALL SELECT search_vector, -1 FROM old_rows"
            )
        )
    };
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION news_search_lexeme_clear() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM news_search_lexeme;
        RETURN NULL;
    END $$""",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("news", "0012_rendition_structured_crops")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]

"""The search vocabulary (document count per indexed word) stays exact through
savepoints, rollbacks, edits and deletes, and on PostgreSQL a batch of articles
writes each of its words at most twice (migration 0013), not once per article."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from newsdesk.news import actions
from newsdesk.news.models import Article
from newsdesk.news.search import Deadline, get_search_backend

pytestmark = pytest.mark.django_db


def document_counts(*stems: str) -> dict[str, int]:
    backend = get_search_backend()
    with backend.time_limit(Deadline(5)):
        counts, _ = backend.vocabulary(list(stems), [], per_prefix=0)
    return {s: counts.get(s, 0) for s in stems}


def write_batch(tree, make_article, n: int) -> list[Article]:
    """n articles, each in its own savepoint as ingest writes them; every
    third savepoint is rolled back."""
    kept = []
    for i in range(n):
        try:
            with transaction.atomic():
                article = make_article(
                    tree["world"], headline=f"Quokka census {i}", body="<p>Wombat.</p>"
                )
                if i % 3 == 2:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            continue
        kept.append(article)
    return kept


def lexeme_writes() -> int:
    """Rows inserted or updated in news_search_lexeme by this backend (the
    counts are pending statistics: they may include transactions that ended
    less than a second ago, so tests take differences)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_inserted(c.oid)"
            " + pg_stat_get_xact_tuples_updated(c.oid)"
            " FROM pg_class c WHERE c.relname = 'news_search_lexeme'"
        )
        return cursor.fetchone()[0]


def wrong_lexeme_counts(cursor) -> int:
    """news_search_lexeme rows that differ from a count of the articles."""
    cursor.execute(
        """SELECT count(*) FROM (
            (SELECT lexeme, count(*)::int FROM news_article,
                unnest(tsvector_to_array(search_vector)) AS lexeme
             GROUP BY lexeme
             EXCEPT SELECT lexeme, ndoc FROM news_search_lexeme WHERE ndoc <> 0)
            UNION ALL
            (SELECT lexeme, ndoc FROM news_search_lexeme WHERE ndoc <> 0
             EXCEPT SELECT lexeme, count(*)::int FROM news_article,
                unnest(tsvector_to_array(search_vector)) AS lexeme
             GROUP BY lexeme)) AS wrong"""
    )
    return cursor.fetchone()[0]


def test_counts_are_exact_inside_the_writing_transaction(tree, make_article):
    kept = write_batch(tree, make_article, 12)
    assert document_counts("quokka", "wombat") == {"quokka": 8, "wombat": 8}
    kept[0].headline = "Koala census"
    actions.do_save_article(kept[0])
    Article.objects.filter(pk=kept[1].pk).delete()
    assert document_counts("quokka", "koala", "wombat") == {
        "quokka": 6,
        "koala": 1,
        "wombat": 7,
    }


def test_postgres_vocabulary_is_written_once_per_word_and_exact(tree, make_article):
    if connection.vendor != "postgresql":
        pytest.skip("news_search_lexeme is PostgreSQL's (SQLite reads its index)")
    before = lexeme_writes()
    kept = write_batch(tree, make_article, 30)
    Article.objects.filter(pk=kept[0].pk).update(headline="Koala census")
    with connection.cursor() as cursor:
        # The deferred counting runs now, as it would at commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        writes = lexeme_writes() - before
        cursor.execute(
            "SELECT count(DISTINCT lexeme) FROM news_article,"
            " unnest(tsvector_to_array(search_vector)) AS lexeme"
        )
        (words,) = cursor.fetchone()
        # Each word written at most twice (by the transaction's first article,
        # then at commit); counted per article, "quokka" alone was written 20
        # times.
        assert writes < 2 * words
        assert wrong_lexeme_counts(cursor) == 0
    assert document_counts("quokka", "koala") == {"quokka": 19, "koala": 1}


@pytest.mark.django_db(transaction=True)
def test_postgres_vocabulary_is_exact_after_each_commit(tree, make_article):
    if connection.vendor != "postgresql":
        pytest.skip("news_search_lexeme is PostgreSQL's (SQLite reads its index)")
    alone = make_article(tree["world"], headline="Quokka alone")  # autocommit
    with transaction.atomic():  # several statements: folded at commit
        write_batch(tree, make_article, 6)
        Article.objects.filter(pk=alone.pk).update(headline="Koala alone")
    with transaction.atomic():
        kept = write_batch(tree, make_article, 3)
        transaction.set_rollback(True)
    Article.objects.filter(pk=kept[0].pk).delete()  # rolled back: nothing
    Article.objects.filter(headline="Quokka census 0").delete()
    with connection.cursor() as cursor:
        assert wrong_lexeme_counts(cursor) == 0
    assert document_counts("quokka", "koala", "wombat") == {
        "quokka": 3,
        "koala": 1,
        "wombat": 3,
    }

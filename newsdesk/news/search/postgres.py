"""PostgreSQL full-text search over news_article.search_vector (migration 0007:
english stems after unaccent, headline A / standfirst B / text D, GIN index) and
its vocabulary news_search_lexeme (lexeme, number of articles), kept exact by
triggers (counted at commit, migration 0013; `time_limit` folds in the reading
transaction's own changes first).

Ranking is ts_rank_cd (cover density: words close together, as in a phrase,
score higher), normalised by the log of the document length. Cost: the
vocabulary is read by key or by a LIMITed range of its primary key; every
statement runs under SET LOCAL statement_timeout, and the pipeline skips its
optional steps once half the time is spent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from . import (
    ADDED,
    CLOSE,
    DATE,
    OPEN,
    RELEVANCE,
    Deadline,
    Group,
    IndexedBackend,
    first_marked,
)

CONFIG = "newsdesk_search"
VECTOR = "search_vector"
# Weights of D (text), C (unused), B (standfirst), A (headline): as on SQLite.
WEIGHTS = "{0.5, 0.5, 0.75, 1.0}"
LIVE = "a.status IN ('published', 'scheduled') AND a.published_at <= %s"
_HIGHEST = "\U0010ffff"  # sorts after every string in the "C" collation
HEADLINE_OPTIONS = (
    f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=35, MinWords=15, "
    "ShortWord=2, MaxFragments=1, FragmentDelimiter=…"
)


def lexeme_query(lexeme: str) -> str:
    """tsquery text matching exactly one lexeme (quoted: never syntax)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(groups: Sequence[Group], *, require_all: bool) -> tuple[str, list]:
    """SQL for the query of `groups` and its parameters: each group is the
    configuration's reading of its word, or any of its variant lexemes."""
    parts, params = [], []
    for g in groups:
        alternatives = [f"plainto_tsquery('{CONFIG}', %s)"]
        params.append(g.word)
        for v in g.variants:
            alternatives.append("%s::tsquery")
            params.append(lexeme_query(v))
        parts.append("(" + " || ".join(alternatives) + ")")
    return (" && " if require_all else " || ").join(parts), params


class PostgresBackend(IndexedBackend):
    language = "english"

    def vocabulary(self, stems, prefixes, *, per_prefix):
        parts, params = [], []
        if stems:
            parts.append(
                "SELECT '' AS prefix, lexeme, ndoc FROM news_search_lexeme "
                "WHERE lexeme = ANY(%s) AND ndoc > 0"
            )
            params.append(list(stems))
        for prefix in prefixes:
            parts.append(
                "(SELECT %s, lexeme, ndoc FROM news_search_lexeme "
                "WHERE lexeme >= %s AND lexeme < %s AND ndoc > 0 "
                "ORDER BY lexeme LIMIT %s)"
            )
            params.extend([prefix, prefix, prefix + _HIGHEST, per_prefix])
        return self._vocabulary_rows(parts, params, prefixes)

    def retrieve(self, groups, *, require_all, order, limit):
        query, params = tsquery(groups, require_all=require_all)
        score, order_by = {
            RELEVANCE: (
                f"ts_rank_cd('{WEIGHTS}', a.{VECTOR}, q.q, 1)",
                "score DESC, id DESC",
            ),
            DATE: ("0.0", "published_at DESC, id DESC"),
            ADDED: ("0.0", "id DESC"),
        }[order]
        # The GIN index first (MATERIALIZED): with ORDER BY ... LIMIT the planner
        # may otherwise walk the whole table in date or id order testing each row,
        # the slowest plan when few articles match. A query of only stop words
        # has no lexemes (numnode 0) and reads nothing.
        rows = self._rows(
            f"""WITH m AS MATERIALIZED (
                SELECT a.id, a.published_at, {score} AS score
                FROM news_article a, (SELECT {query} AS q) q
                WHERE numnode(q.q) > 0 AND a.{VECTOR} @@ q.q AND {LIVE})
            SELECT id, score, published_at FROM m
            ORDER BY {order_by} LIMIT %s""",  # noqa: S608 - constants
            [*params, timezone.now(), limit],
        )
        return [(pk, float(s), published) for pk, s, published in rows]

    def count(self, groups, *, require_all, cap):
        query, params = tsquery(groups, require_all=require_all)
        rows = self._rows(
            f"""SELECT count(*) FROM (SELECT 1
            FROM news_article a, (SELECT {query} AS q) q
            WHERE numnode(q.q) > 0 AND a.{VECTOR} @@ q.q AND {LIVE}
            LIMIT %s) s""",  # noqa: S608 - constants
            [*params, timezone.now(), cap],
        )
        return rows[0][0]

    def snippets(self, groups, ids):
        query, params = tsquery(groups, require_all=False)
        rows = self._rows(
            f"""SELECT a.id, ts_headline('{CONFIG}', a.body_text, q.q, %s)
            FROM news_article a, (SELECT {query} AS q) q
            WHERE a.id = ANY(%s)""",  # noqa: S608 - constants
            [HEADLINE_OPTIONS, *params, list(ids)],
        )
        return dict(rows)

    def surface_form(self, stem):
        rows = self._rows(
            f"""SELECT ts_headline('{CONFIG}', a.headline || ' ' || a.body_text,
                %s::tsquery, %s)
            FROM news_article a WHERE a.{VECTOR} @@ %s::tsquery LIMIT 1""",  # noqa: S608 - constants
            [lexeme_query(stem), HEADLINE_OPTIONS, lexeme_query(stem)],
        )
        return first_marked(rows[0][0], stem) if rows else stem

    def total_docs(self):
        # The planner's estimate is exact enough for an idf; count when the
        # table has never been analysed.
        rows = self._rows(
            "SELECT CASE WHEN reltuples > 0 THEN reltuples::bigint "
            "ELSE (SELECT count(*) FROM news_article) END "
            "FROM pg_class WHERE oid = 'news_article'::regclass",
            [],
        )
        return rows[0][0]

    @contextmanager
    def time_limit(self, deadline: Deadline) -> Iterator[None]:
        milliseconds = max(1, int(deadline.seconds * 1000))
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Local to the transaction. In the same round trip, the vocabulary
                # changes this transaction made (articles written before the
                # search, in an outer transaction) are counted: they are
                # otherwise folded in at commit (migration 0013).
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true), "
                    "news_search_lexeme_fold()",
                    [str(milliseconds)],
                )
            yield  # the timeout ends with the transaction

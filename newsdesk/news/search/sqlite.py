"""SQLite FTS5: news_article_fts (migration 0002, Porter stems, no diacritics)
kept in step with news_article by triggers, and its vocabulary
news_article_fts_vocab (fts5vocab, migration 0006) for variants and spelling.

Cost: the vocabulary is read by term ranges with a LIMIT, never scanned whole;
every MATCH names whole words (never a prefix); ranked retrieval stops at the
result cap, counts at COUNT_CAP; and a progress handler interrupts any
statement once the search's deadline has passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import connection
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

# Headline, standfirst, body: a word in the headline or standfirst says more
# about the article than one in its text.
WEIGHTS = "2.0, 1.5, 1.0"
LIVE = "a.status IN ('published', 'scheduled') AND a.published_at <= %s"
# Every query reads the index first (CROSS JOIN fixes SQLite's join order): probing
# the index once per article row instead re-runs the whole MATCH for each row.
_HIGHEST = "\U0010ffff"  # sorts after every UTF-8 string (BINARY collation)


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def match_expression(groups: Sequence[Group], *, require_all: bool) -> str:
    """FTS5 query: each group is its word or any of its variant stems, quoted so
    FTS5 reads them as plain strings, never syntax."""
    parts = []
    for g in groups:
        alternatives = [_quote(g.word), *(_quote(v) for v in g.variants)]
        parts.append("(" + " OR ".join(alternatives) + ")")
    return (" AND " if require_all else " OR ").join(parts)


class SqliteFtsBackend(IndexedBackend):
    language = "porter"

    def _now(self) -> str:
        return connection.ops.adapt_datetimefield_value(timezone.now())

    def vocabulary(self, stems, prefixes, *, per_prefix):
        parts, params = [], []
        if stems:
            marks = ", ".join(["%s"] * len(stems))
            sql = f"SELECT '', term, doc FROM news_article_fts_vocab WHERE term IN ({marks})"  # noqa: S608, E501 - placeholders only
            parts.append(sql)
            params.extend(stems)
        for prefix in prefixes:
            parts.append(
                "SELECT * FROM (SELECT %s, term, doc FROM news_article_fts_vocab "
                "WHERE term >= %s AND term < %s LIMIT %s)"
            )
            params.extend([prefix, prefix, prefix + _HIGHEST, per_prefix])
        return self._vocabulary_rows(parts, params, prefixes)

    def retrieve(self, groups, *, require_all, order, limit):
        score, order_by = {
            RELEVANCE: (f"bm25(news_article_fts, {WEIGHTS})", "score, a.id DESC"),
            DATE: ("0.0", "a.published_at DESC, a.id DESC"),
            # FTS5 hands rows over in rowid order itself: no sort at all.
            ADDED: ("0.0", "news_article_fts.rowid DESC"),
        }[order]
        rows = self._rows(
            f"""SELECT a.id, {score} AS score, a.published_at
            FROM news_article_fts CROSS JOIN news_article a
                ON a.id = news_article_fts.rowid
            WHERE news_article_fts MATCH %s AND {LIVE}
            ORDER BY {order_by} LIMIT %s""",  # noqa: S608 - constants
            [match_expression(groups, require_all=require_all), self._now(), limit],
        )
        return [(pk, -score, _datetime(published)) for pk, score, published in rows]

    def count(self, groups, *, require_all, cap):
        rows = self._rows(
            f"""SELECT count(*) FROM (SELECT 1
            FROM news_article_fts CROSS JOIN news_article a
                ON a.id = news_article_fts.rowid
            WHERE news_article_fts MATCH %s AND {LIVE} LIMIT %s)""",  # noqa: S608 - constants
            [match_expression(groups, require_all=require_all), self._now(), cap],
        )
        return rows[0][0]

    def snippets(self, groups, ids):
        rows = self._rows(
            """SELECT rowid, snippet(news_article_fts, 2, %s, %s, '…', 24)
            FROM news_article_fts WHERE news_article_fts MATCH %s
            AND rowid IN (SELECT value FROM json_each(%s))""",
            [
                OPEN,
                CLOSE,
                match_expression(groups, require_all=False),
                json.dumps(list(ids)),
            ],
        )
        return dict(rows)

    def surface_form(self, stem):
        rows = self._rows(
            """SELECT highlight(news_article_fts, 0, %s, %s) || ' ' ||
                highlight(news_article_fts, 1, %s, %s) || ' ' ||
                highlight(news_article_fts, 2, %s, %s)
            FROM news_article_fts WHERE news_article_fts MATCH %s LIMIT 1""",
            [OPEN, CLOSE] * 3 + [_quote(stem)],
        )
        return first_marked(rows[0][0], stem) if rows else stem

    def total_docs(self):
        return self._rows("SELECT count(*) FROM news_article_fts_docsize", [])[0][0]

    @contextmanager
    def time_limit(self, deadline: Deadline) -> Iterator[None]:
        connection.ensure_connection()
        raw = connection.connection
        # Called every 1,000 virtual-machine instructions; a true result
        # interrupts the running statement ("interrupted").
        raw.set_progress_handler(deadline.expired, 1000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)


def _datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)

"""Full-text search behind one small interface.

`get_search_backend()` returns the backend named by NEWSDESK_SEARCH_BACKEND, or
the one that fits the database: SQLite FTS5 (ranked with bm25, highlighted
snippets), PostgreSQL full-text search, or a portable fallback for others.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news.models import Article

MAX_TERMS = 12
COUNT_SQL = """
    SELECT count(*)
    FROM news_article_fts JOIN news_article a ON a.id = news_article_fts.rowid
    WHERE news_article_fts MATCH %s AND a.status IN (%s, %s) AND a.published_at <= %s
"""
PAGE_SQL = """
    SELECT a.id, snippet(news_article_fts, 2, %s, %s, '…', 24)
    FROM news_article_fts JOIN news_article a ON a.id = news_article_fts.rowid
    WHERE news_article_fts MATCH %s AND a.status IN (%s, %s) AND a.published_at <= %s
    ORDER BY bm25(news_article_fts, 10.0, 4.0, 1.0), a.published_at DESC
    LIMIT %s OFFSET %s
"""
_WORD = re.compile(r"\w+", re.UNICODE)
# Private-use sentinels mark highlights inside SQLite's snippet so the text can be
# escaped first and the <mark> tags added afterwards.
_OPEN, _CLOSE = "\ue000", "\ue001"


def query_terms(query: str) -> list[str]:
    """The words of a reader's query; every operator and quote is dropped."""
    return [w.lower() for w in _WORD.findall(query or "")][:MAX_TERMS]


@dataclass
class SearchPage:
    total: int
    hits: list[tuple[Article, SafeString]]  # (article, highlighted snippet)


class SearchBackend:
    def search(self, query: str, *, offset: int, limit: int) -> SearchPage:
        raise NotImplementedError


class SqliteFtsBackend(SearchBackend):
    """news_article_fts (migration 0002) kept in step with news_article by triggers."""

    def search(self, query: str, *, offset: int, limit: int) -> SearchPage:
        terms = query_terms(query)
        if not terms:
            return SearchPage(0, [])
        # Each term quoted: FTS5 then treats it as a plain string, never syntax;
        # the last one also matches as a prefix (search-as-you-type habits).
        match = " ".join(f'"{t}"' for t in terms[:-1]) + f' "{terms[-1]}"*'
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params = [match, "published", "scheduled", now]
        with connection.cursor() as cursor:
            cursor.execute(COUNT_SQL, params)
            total = cursor.fetchone()[0]
            cursor.execute(PAGE_SQL, [_OPEN, _CLOSE, *params, limit, offset])
            rows = cursor.fetchall()
        articles = Article.objects.select_related("category").in_bulk(
            [r[0] for r in rows]
        )
        hits = [
            (articles[pk], _highlight(snippet))
            for pk, snippet in rows
            if pk in articles
        ]
        return SearchPage(total, hits)


class BasicBackend(SearchBackend):
    """Portable fallback: every term must occur in the headline, standfirst or text."""

    def search(self, query: str, *, offset: int, limit: int) -> SearchPage:
        terms = query_terms(query)
        if not terms:
            return SearchPage(0, [])
        qs = Article.objects.live().select_related("category")
        for term in terms:
            qs = qs.filter(
                Q(headline__icontains=term)
                | Q(standfirst__icontains=term)
                | Q(body_text__icontains=term)
            )
        total = qs.count()
        hits = []
        for article in qs[offset : offset + limit]:
            hits.append(
                (
                    article,
                    _basic_snippet(article.body_text or article.standfirst, terms),
                )
            )
        return SearchPage(total, hits)


class PostgresBackend(SearchBackend):
    """PostgreSQL full-text search (django.contrib.postgres): weighted, ranked,
    highlighted with ts_headline. The vector is computed per query; a GIN
    expression index is the next step when a site outgrows that."""

    def search(self, query: str, *, offset: int, limit: int) -> SearchPage:
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
            SearchVector,
        )

        terms = query_terms(query)
        if not terms:
            return SearchPage(0, [])
        ts_query = SearchQuery(" ".join(terms), search_type="plain", config="english")
        vector = (
            SearchVector("headline", weight="A", config="english")
            + SearchVector("standfirst", weight="B", config="english")
            + SearchVector("body_text", weight="D", config="english")
        )
        qs = (
            Article.objects.live()
            .select_related("category")
            .annotate(search=vector)
            .filter(search=ts_query)
        )
        total = qs.count()
        page = qs.annotate(
            rank=SearchRank(vector, ts_query),
            snippet=SearchHeadline(
                "body_text",
                ts_query,
                config="english",
                start_sel=_OPEN,
                stop_sel=_CLOSE,
                max_words=35,
                min_words=15,
            ),
        ).order_by("-rank", "-published_at")[offset : offset + limit]
        return SearchPage(total, [(a, _highlight(a.snippet)) for a in page])


def _highlight(snippet: str) -> SafeString:
    text = escape(snippet or "")
    return mark_safe(text.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))  # noqa: S308


def _basic_snippet(text: str, terms: list[str], width: int = 160) -> SafeString:
    lower = text.lower()
    positions = [lower.find(t) for t in terms if lower.find(t) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = text[start : start + width]
    out = html.escape(piece)
    for term in sorted(set(terms), key=len, reverse=True):
        out = re.sub(
            f"({re.escape(html.escape(term))})", r"<mark>\1</mark>", out, flags=re.I
        )
    prefix = "…" if start else ""
    return mark_safe(prefix + out + ("…" if start + width < len(text) else ""))  # noqa: S308


def get_search_backend() -> SearchBackend:
    path = settings.NEWSDESK_SEARCH_BACKEND
    if path:
        return import_string(path)()
    if connection.vendor == "sqlite":
        return SqliteFtsBackend()
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return BasicBackend()

"""Portable fallback for databases without a full-text backend here: every
strong word must occur in the headline, standfirst or text (case-insensitive
substring). Bounded like the others: at most the result cap of the newest
matches are read, counts stop at COUNT_CAP."""

from __future__ import annotations

import html
import re

from django.conf import settings
from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news.models import Article

from . import COUNT_CAP, SearchBackend, SearchPage, text


class BasicBackend(SearchBackend):
    def search(self, query, *, offset, limit, sort="relevance", now=None):
        parsed = text.parse(query)
        if not parsed:
            return SearchPage(0, [], sort=sort)
        words = [t.word for t in parsed.retrieval_terms]
        qs = Article.objects.live().select_related("category")
        for word in words:
            qs = qs.filter(
                Q(headline__icontains=word)
                | Q(standfirst__icontains=word)
                | Q(body_text__icontains=word)
            )
        cap = settings.NEWSDESK_SEARCH_MAX_RESULTS
        total = qs[:COUNT_CAP].count()
        hits = [
            (article, _snippet(article.body_text or article.standfirst, words))
            for article in qs[: min(cap, offset + limit)][offset:]
        ]
        return SearchPage(
            total, hits, more=total >= COUNT_CAP, ranked=min(total, cap), sort=sort
        )


def _snippet(body: str, words: list[str], width: int = 160) -> SafeString:
    lower = body.lower()
    positions = [lower.find(t) for t in words if lower.find(t) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = body[start : start + width]
    out = html.escape(piece)
    for word in sorted(set(words), key=len, reverse=True):
        out = re.sub(
            f"({re.escape(html.escape(word))})", r"<mark>\1</mark>", out, flags=re.I
        )
    prefix = "…" if start else ""
    return mark_safe(prefix + out + ("…" if start + width < len(body) else ""))  # noqa: S308

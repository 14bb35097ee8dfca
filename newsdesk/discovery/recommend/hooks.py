"""The article page's discovery context (NEWSDESK_ARTICLE_EXTRAS)."""

from __future__ import annotations

from django.templatetags.static import static


def article_extras(request, article) -> dict:
    """The script that swaps the personal list into the cached page. No queries."""
    return {"article_scripts": [static("discovery/recommend.js")]}

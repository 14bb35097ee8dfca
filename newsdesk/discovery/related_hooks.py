"""Article-page context from the related index (NEWSDESK_ARTICLE_EXTRAS)."""

from __future__ import annotations

from newsdesk.discovery.providers import also_reported_by


def article_extras(request, article) -> dict:
    """ "Also reported by": the same report from other sources (two queries)."""
    return {"also_reported_by": also_reported_by(article)}

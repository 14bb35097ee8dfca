"""Article-page context from the related index (NEWSDESK_ARTICLE_EXTRAS)."""

from __future__ import annotations

from newsdesk.discovery.related.providers import also_reported_by
from newsdesk.discovery.stories.selectors import full_coverage


def article_extras(request, article) -> dict:
    """ "Also reported by": the same report from other sources (two queries);
    "Full coverage: N reports": a link to the article's story page (two more)."""
    return {
        "also_reported_by": also_reported_by(article),
        "full_coverage": full_coverage(article),
    }

"""Article-page context from the related index (NEWSDESK_ARTICLE_EXTRAS)."""

from __future__ import annotations

from newsdesk.discovery.related.providers import also_reported_by
from newsdesk.discovery.stories.selectors import coverage_and_tags


def article_extras(request, article) -> dict:
    """ "Also reported by": the same report from other sources (two queries);
    "Full coverage: N reports": a link to the article's story page (two more)."""
    coverage, tags = coverage_and_tags(article)
    return {
        "also_reported_by": also_reported_by(article),
        "full_coverage": coverage,
        # The link shows the story's size: the page goes stale with the story.
        "cache_tags": tags,
    }

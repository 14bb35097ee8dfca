"""The article page's discovery extensions (registered in discovery.apps)."""

from __future__ import annotations

from newsdesk.discovery.providers import also_reported_by
from newsdesk.discovery.story_selectors import coverage_and_tags


def also_reported_by_context(request, article) -> dict | None:
    """ "Also reported by": the same report from other sources (two queries)."""
    articles = also_reported_by(article)
    return {"articles": articles} if articles else None


def full_coverage_context(request, article) -> dict:
    """ "Full coverage: N reports": a link to the article's story page (two
    queries). The link shows the story's size: the page goes stale with the
    story (its purge tag), also while the story has one report."""
    coverage, tags = coverage_and_tags(article)
    return {"full_coverage": coverage, "cache_tags": tags}


def register() -> None:
    """discovery's parts of news's pages (news.extensions)."""
    from newsdesk.discovery.providers import duplicate_groups, related
    from newsdesk.discovery.recommend_selectors import recommended_fallback
    from newsdesk.news import extensions
    from newsdesk.news.blocks import more_news, newest_in_category

    extensions.register_duplicate_groups(duplicate_groups)
    extensions.register_extra(
        "also-reported-by",
        slot="body",
        template="discovery/_also_reported_by.html",
        context=also_reported_by_context,
    )
    extensions.register_extra(
        "full-coverage",
        slot="body",
        template="discovery/_full_coverage.html",
        context=full_coverage_context,
    )
    extensions.register_block(
        "related",
        title="Related",
        provider=related,
        fallback=newest_in_category,
        setting="NEWSDESK_RELATED_PROVIDER",
        slot="main",
    )
    extensions.register_block(
        "recommended",
        title="Recommended",
        provider=recommended_fallback,
        fallback=more_news,
        setting="NEWSDESK_RECOMMENDED_PROVIDER",
        pages=("article", "home"),
        template="discovery/_recommended_block.html",
        # Swaps the reader's personal list into the cached page.
        scripts=("discovery/recommend.js",),
    )

"""The article page's extras from the related index and stories (registered in
discovery.apps)."""

from __future__ import annotations

from newsdesk.discovery.related.providers import also_reported_by
from newsdesk.discovery.stories.selectors import coverage_and_tags


def also_reported_by_context(request, article) -> dict | None:
    """ "Also reported by": the same report from other sources (two queries)."""
    articles = also_reported_by(article)
    return {"articles": articles} if articles else None


def full_coverage_context(request, article) -> dict:
    """ "Full coverage: N reports": a link to the article's story page (two
    queries). The link shows the story's size: the page goes stale with the
    story (its purge tag), also while the story has one report."""
    coverage, tags = coverage_and_tags(article)
    context: dict = {"full_coverage": coverage, "cache_tags": tags}
    if coverage:
        # schema.org: the article is part of the story's collection page.
        url = request.build_absolute_uri(coverage["url"])
        context["jsonld"] = {
            "isPartOf": {
                "@type": "CollectionPage",
                "@id": url,
                "url": url,
                "name": coverage["title"],
            }
        }
    return context

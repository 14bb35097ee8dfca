"""The article page's extras from the related index and stories, and the
story link of the article's API item (registered in discovery.apps)."""

from __future__ import annotations

from django.urls import reverse

from newsdesk.discovery.related.providers import also_reported_by
from newsdesk.discovery.stories.actions import resolve
from newsdesk.discovery.stories.selectors import (
    cluster_of,
    coverage_and_tags,
    story_of,
    story_tag,
)
from newsdesk.news.ninjs import NinjsLink


def _cluster(request, article):
    """The article's cluster row, read once for the page's two extras."""
    memo = request.__dict__.setdefault("_discovery_clusters", {})
    if article.pk not in memo:
        memo[article.pk] = cluster_of(article.pk)
    return memo[article.pk]


def also_reported_by_context(request, article) -> dict | None:
    """ "Also reported by": the same report from other sources (the page's
    cluster row, then one query when the article has copies)."""
    articles = also_reported_by(article, cluster=_cluster(request, article))
    return {"articles": articles} if articles else None


def full_coverage_context(request, article) -> dict:
    """ "Full coverage: N reports": a link to the article's story page (two
    queries after the page's cluster row). The link shows the story's size: the
    page goes stale with the story (its purge tag), also while the story has
    one report."""
    coverage, tags = coverage_and_tags(article, cluster=_cluster(request, article))
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


def story_item_links(article, site: str) -> tuple[list[NinjsLink], list[str]]:
    """The article's story as an association of its ninjs item (name and rel
    "story", the /api/stories/<id>/ document and the story page), and the
    purge tags of the stories it depends on (also the one it was merged from)."""
    story = story_of(article)
    if story is None:
        return [], []
    live = resolve(story)
    tags = list(dict.fromkeys([story_tag(story.pk), story_tag(live.pk)]))
    link = NinjsLink(
        name="story",
        rel="story",
        uri=site + reverse("discovery:story-api", kwargs={"pk": live.pk}),
        type="composite",
        headline=live.title,
        url=site + live.get_absolute_url(),
    )
    return [link], tags

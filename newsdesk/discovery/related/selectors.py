"""Reads of the related index's rows for the admin (an article's lists)."""

from __future__ import annotations

from newsdesk.discovery.models import Cluster, RelatedLink
from newsdesk.news.models import Article


def stored_related(article_id: int) -> list[tuple[Article, float]]:
    """The article's stored Related list, best first, with scores."""
    links = RelatedLink.objects.filter(article_id=article_id).select_related("related")
    return [(link.related, link.score) for link in links.order_by("rank")]


def duplicate_group_members(article_id: int) -> list[Article]:
    """Other articles in the same duplicate group (copies of one report)."""
    cluster = Cluster.objects.filter(article_id=article_id).first()
    if cluster is None:
        return []
    ids = Cluster.objects.filter(duplicate_group=cluster.duplicate_group).exclude(
        article_id=article_id
    )
    return list(
        Article.objects.filter(pk__in=ids.values("article_id")).select_related("source")
    )

"""Related articles for pages: reads the rows the index wrote, nothing else."""

from __future__ import annotations

from newsdesk.discovery.models import Cluster, RelatedLink
from newsdesk.news.models import Article


def related(*, request, article, exclude, limit):
    """The article's stored related list (Related block provider).

    One query. Articles that stopped being live since the list was written are
    skipped; the block's fallback (same-section newest) fills what is missing.
    """
    if article is None:
        return []
    links = (
        RelatedLink.objects.filter(article_id=article.pk)
        .exclude(related_id__in=exclude)
        .select_related("related__category")
        .defer("related__body", "related__body_text")  # lists show no bodies
        .order_by("rank")
    )
    return [link.related for link in links if link.related.is_live()][:limit]


def duplicate_groups(article_ids) -> dict[int, int]:
    """Duplicate group of each id that has one (NEWSDESK_DUPLICATE_GROUPS)."""
    return dict(
        Cluster.objects.filter(article_id__in=list(article_ids)).values_list(
            "article_id", "duplicate_group"
        )
    )


def also_reported_by(article) -> list[Article]:
    """Other live members of the article's duplicate group: the same report
    from other sources, shown once as "Also reported by" instead of in lists."""
    group = (
        Cluster.objects.filter(article_id=article.pk)
        .values_list("duplicate_group", flat=True)
        .first()
    )
    if group is None:
        return []
    members = Cluster.objects.filter(duplicate_group=group).exclude(
        article_id=article.pk
    )
    return list(
        Article.objects.live()
        .filter(pk__in=members.values("article_id"))
        .select_related("source")
        .order_by("published_at")
    )

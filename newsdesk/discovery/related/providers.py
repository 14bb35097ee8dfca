"""Related articles for pages: reads the rows the index wrote, nothing else."""

from __future__ import annotations

import functools

from django.db import connection
from django.utils import timezone

from newsdesk.discovery.models import Cluster, RelatedLink
from newsdesk.discovery.stories.selectors import cluster_of
from newsdesk.news.models import LIVE_STATUSES, Article
from newsdesk.news.selectors import attach_categories, list_columns


def related(*, request, article, exclude, limit):
    """The article's stored related list (Related block provider).

    One query, by hand: the ORM spent ~2 ms per page compiling the join (the
    database ~0.1). Articles that stopped being live since the list was
    written are skipped; the block's fallback (same-section newest) fills what
    is missing.
    """
    if article is None:
        return []
    rows = Article.objects.raw(
        _related_sql(), [article.pk, *LIVE_STATUSES, timezone.now()]
    )
    return attach_categories(
        [a for a in rows if a.pk not in exclude and a.pk != article.pk][:limit]
    )


@functools.cache
def _related_sql() -> str:
    q = connection.ops.quote_name
    link, art = q(RelatedLink._meta.db_table), q(Article._meta.db_table)
    live = ", ".join(["%s"] * len(LIVE_STATUSES))
    # Only model metadata is interpolated; every value is a parameter.
    return (
        f"SELECT {list_columns('a')} FROM {link} r "  # noqa: S608
        f"JOIN {art} a ON a.id = r.related_id "
        f"WHERE r.article_id = %s AND a.status IN ({live}) AND a.published_at <= %s "
        "ORDER BY r.rank"
    )


def duplicate_groups(article_ids) -> dict[int, int]:
    """Duplicate group of each id that has one (NEWSDESK_DUPLICATE_GROUPS).
    Hand-written SQL, as cluster_of: every page with blocks asks."""
    ids = [int(i) for i in article_ids]
    if not ids:
        return {}
    table = connection.ops.quote_name(Cluster._meta.db_table)
    found: dict[int, int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(ids), 500):  # within every database's parameter limit
            chunk = ids[i : i + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT article_id, duplicate_group FROM {table} "  # noqa: S608
                f"WHERE article_id IN ({marks})",
                chunk,
            )
            found.update(cursor.fetchall())
    return found


def also_reported_by(article, *, cluster=...) -> list[Article]:
    """Other live members of the article's duplicate group: the same report
    from other sources, shown once as "Also reported by" instead of in lists.
    `cluster`: the article's stories.selectors.cluster_of row when read already."""
    row = cluster_of(article.pk) if cluster is ... else cluster
    group = row[0] if row is not None else None
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

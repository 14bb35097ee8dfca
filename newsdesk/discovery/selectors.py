"""Reads of discovery's data for other parts of the site (the dashboard)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from newsdesk.discovery.models import Cluster, RelatedLink
from newsdesk.discovery.models_recommend import ReadingHistory
from newsdesk.news.models import Article


def returning_readers(*, days: int = 7, now: datetime | None = None) -> tuple[int, int]:
    """(returning, all) readers with a cookie who read in the last `days` days;
    returning = their kept reads fall on more than one UTC day.

    Reading history keeps the latest read per article, so a reader who only
    re-read one article on two days counts as not returning: a lower bound.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    per_reader = (
        ReadingHistory.objects.filter(read_at__gte=since)
        .annotate(day=TruncDate("read_at"))
        .values("reader")
        .annotate(first=Min("day"), last=Max("day"), n=Count("pk"))
        .order_by()
    )
    total = returning = 0
    for row in per_reader.iterator(chunk_size=5000):
        total += 1
        returning += row["first"] != row["last"]
    return returning, total


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

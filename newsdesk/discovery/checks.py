"""Doctor checks of what discovery owns: the related-articles index."""

from __future__ import annotations

from datetime import timedelta

from django.core import checks
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone

from newsdesk.discovery.models import Cluster
from newsdesk.news.checks import database_ready, doctor_check
from newsdesk.news.models import Article

# Changes younger than this may still be queued for the worker: not stale yet.
INDEX_GRACE = timedelta(minutes=10)


@doctor_check
def check_related_index(app_configs=None, **kwargs):
    if not database_ready():
        return []
    settled = timezone.now() - INDEX_GRACE
    try:
        live = Article.objects.live().filter(modified_at__lte=settled)
        missing = live.exclude(pk__in=Cluster.objects.values("article_id")).count()
        stale = Cluster.objects.filter(
            article__in=live, article__modified_at__gt=F("indexed_at")
        ).count()
        checked = live.count()
        total = Article.objects.live().count()
    except DatabaseError:
        return []  # the database check reports why
    if missing or stale:
        return [
            checks.Error(
                f"The related-articles index is behind: {missing} live article(s) "
                f"are not indexed and {stale} changed since they were indexed "
                f"(of {checked} checked).",
                hint="Run `python -m newsdesk discovery rebuild`, and keep "
                "`python -m newsdesk db_worker` running so imports are indexed.",
                id="doctor.E070",
            )
        ]
    recent = (
        f"; {total - checked} changed in the last 10 minutes" if total > checked else ""
    )
    return [
        checks.Info(
            f"related: {checked} live articles indexed{recent}", id="doctor.I070"
        )
    ]

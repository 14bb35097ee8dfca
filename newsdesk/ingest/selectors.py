"""Reads of the ingest state."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q, QuerySet

from newsdesk.ingest.models import Feed


def due_feeds(now: datetime) -> QuerySet[Feed]:
    """Enabled feeds whose poll interval has passed (never-fetched ones first)."""
    return (
        Feed.objects.filter(enabled=True)
        .filter(Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now))
        .select_related("source", "category")
        .order_by(F("next_fetch_at").asc(nulls_first=True), "pk")
    )


def feeds_of_source(source_id: int) -> QuerySet[Feed]:
    return Feed.objects.filter(source_id=source_id).select_related("source", "category")


def feed_health() -> QuerySet[Feed]:
    """Every feed with its last success and errors, failing ones first."""
    return Feed.objects.select_related("source").order_by(
        "-consecutive_errors", "source__name", "url"
    )

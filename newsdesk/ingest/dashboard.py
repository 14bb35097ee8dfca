"""Ingest's panel on the newsroom dashboard: health per feed."""

from __future__ import annotations

from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from newsdesk.ingest import selectors
from newsdesk.news.dashboard import Panel

SHOWN = 20


def feed_health(request) -> Panel | None:
    feeds = list(selectors.feed_health()[: SHOWN + 1])
    if not feeds:
        return None
    now = timezone.now()

    def ago(when):
        return f"{timesince(when, now)} ago" if when else "never"

    failing = sum(f.consecutive_errors > 0 for f in feeds)
    return Panel(
        key="ingest",
        title="Feeds",
        columns=("Feed", "Last success", "Errors in a row", "Last error", "Items"),
        rows=[
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:ingest_feed_change", args=[f.pk]),
                    f.source.name,
                ),
                ago(f.last_success_at),
                f.consecutive_errors,
                (f.last_error or "-")[:120],
                f"{f.items_created:,} new, {f.items_updated:,} updated"
                + (
                    f", {f.images_failed:,} image{pluralize(f.images_failed)} failed"
                    if f.images_failed
                    else ""
                ),
            )
            for f in feeds[:SHOWN]
        ],
        summary=f"{failing} of {len(feeds[:SHOWN])} feeds failing."
        if failing
        else "All feeds fetching.",
        order=60,
        wide=True,
    )

"""Writes of the ingest app: feeds and their status, tombstones.

Running feeds and importing files is orchestrated in runs.py; articles are
written only through newsdesk.news.actions (in processor.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

from newsdesk.ingest.models import Feed, IngestError, Tombstone
from newsdesk.ingest.rules import parse_rules
from newsdesk.news import actions as news_actions
from newsdesk.news.models import Category, Source
from newsdesk.news.selectors import find_categories

log = logging.getLogger(__name__)

# After a failure the next try waits longer, up to a day, so a dead feed is not
# hammered every poll.
MAX_BACKOFF = timedelta(hours=24)


def get_category(ref: str) -> Category:
    """A section by path (world/europe) or, failing that, by a unique slug."""
    ref = ref.strip("/")
    category = find_categories([ref]).get(ref)
    if category is None:
        matches = list(Category.objects.filter(slug=ref)[:2])
        if len(matches) != 1:
            raise ValueError(f"no single section with path or slug {ref!r}")
        category = matches[0]
    return category


def check_add_feed(
    url: str,
    *,
    category: str,
    name: str = "",
    publish: bool = False,
    format: str = Feed.Format.AUTO,
    rules: str = "",
) -> Feed:
    """Validate the operator's input and register a feed with its own Source."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValueError(f"{url!r} is not an http(s) URL") from None
    if Feed.objects.filter(url=url).exists():
        raise ValueError(f"{url} is already registered")
    if format not in Feed.Format.values:
        raise ValueError(f"unknown format {format!r}")
    parse_rules(rules)
    section = get_category(category)
    name = name.strip() or urlsplit(url).hostname or url
    return do_add_feed(
        url=url,
        category=section,
        name=name,
        publish=publish,
        format=format,
        rules=rules,
    )


@transaction.atomic
def do_add_feed(
    *, url: str, category: Category, name: str, publish: bool, format: str, rules: str
) -> Feed:
    source = news_actions.get_or_create_source(
        name, url=url, indexing=Source.Indexing.NOINDEX
    )
    return Feed.objects.create(
        source=source,
        url=url,
        category=category,
        publish=publish,
        format=format,
        mapping_rules=rules,
    )


def do_feed_succeeded(feed: Feed, *, now, etag: str, last_modified: str) -> None:
    """A run of `feed` ended well: clear its errors, keep its validators."""
    Feed.objects.filter(pk=feed.pk).update(
        last_success_at=now,
        last_error="",
        consecutive_errors=0,
        etag=etag[:500],
        last_modified=last_modified[:100],
        next_fetch_at=now + timedelta(minutes=feed.poll_minutes),
    )


def do_feed_failed(feed: Feed, *, now, stage: str, message: str) -> None:
    """A run of `feed` failed at `stage`: record it and back off."""
    IngestError.objects.create(
        feed=feed, source=feed.source, stage=stage, message=message
    )
    delay = min(
        timedelta(minutes=feed.poll_minutes)
        * (2 ** min(feed.consecutive_errors + 1, 6)),
        MAX_BACKOFF,
    )
    Feed.objects.filter(pk=feed.pk).update(
        last_error=message[:5000],
        error_count=F("error_count") + 1,
        consecutive_errors=F("consecutive_errors") + 1,
        next_fetch_at=now + delay,
    )
    log.warning("feed %s failed: %s", feed.url, message)


def do_feed_fetched(feed: Feed, *, now) -> None:
    """A run of `feed` starts (counted even if it then crashes)."""
    Feed.objects.filter(pk=feed.pk).update(
        last_fetched_at=now, fetch_count=F("fetch_count") + 1
    )


def do_bury(*, source_id: int, external_id: str, reason: str) -> None:
    """Tombstone an item so that ingest never stores it again."""
    Tombstone.objects.get_or_create(
        source_id=source_id, external_id=external_id[:500], defaults={"reason": reason}
    )


MIN_SLEEP = timedelta(seconds=30)


def next_poll_at(now):
    """When the next feed falls due (at least MIN_SLEEP away, at most an hour)."""
    upcoming = (
        Feed.objects.filter(enabled=True, next_fetch_at__isnull=False)
        .order_by("next_fetch_at")
        .values_list("next_fetch_at", flat=True)
        .first()
    )
    if Feed.objects.filter(enabled=True, next_fetch_at__isnull=True).exists():
        upcoming = now
    if upcoming is None:
        upcoming = now + timedelta(hours=1)
    return min(max(upcoming, now + MIN_SLEEP), now + timedelta(hours=1))

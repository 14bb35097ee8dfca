"""Writes of the ingest app: registering feeds, running them, importing files.

Articles are written only through newsdesk.news.actions (in processor.py).
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from newsdesk.ingest import parsers
from newsdesk.ingest.fetcher import FetchConfig, FetchError, fetch
from newsdesk.ingest.models import Feed, IngestError, Tombstone
from newsdesk.ingest.processor import Counts, Target, process_items
from newsdesk.ingest.rules import parse_rules
from newsdesk.ingest.selectors import due_feeds
from newsdesk.news import actions as news_actions
from newsdesk.news.models import Category, Source
from newsdesk.news.selectors import find_categories

log = logging.getLogger(__name__)

# After a failure the next try waits longer, up to a day, so a dead feed is not
# hammered every poll.
MAX_BACKOFF = timedelta(hours=24)


def fetch_config() -> FetchConfig:
    return FetchConfig(
        user_agent=settings.NEWSDESK_INGEST_USER_AGENT,
        timeout=settings.NEWSDESK_INGEST_TIMEOUT,
        max_bytes=settings.NEWSDESK_INGEST_MAX_BYTES,
        max_redirects=settings.NEWSDESK_INGEST_MAX_REDIRECTS,
        host_interval=settings.NEWSDESK_INGEST_HOST_INTERVAL,
        allow_private=settings.NEWSDESK_INGEST_ALLOW_PRIVATE,
        allowed_networks=tuple(settings.NEWSDESK_INGEST_ALLOW_NETWORKS),
    )


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


@dataclass
class FeedRun:
    feed_id: int
    status: str  # "ok", "not-modified", "error"
    counts: Counts
    error: str = ""


def do_run_feed(feed: Feed, *, config: FetchConfig | None = None) -> FeedRun:
    """Fetch, parse and store one feed; its status fields record the outcome."""
    config = config or fetch_config()
    now = timezone.now()
    counts = Counts()
    Feed.objects.filter(pk=feed.pk).update(
        last_fetched_at=now, fetch_count=F("fetch_count") + 1
    )
    try:
        target = Target.for_feed(feed)
        if settings.NEWSDESK_INGEST_IMAGES:
            target.image_config = config
        result = fetch(
            feed.url, config=config, etag=feed.etag, last_modified=feed.last_modified
        )
        if result.not_modified:
            _succeeded(feed, now=now, etag=feed.etag, last_modified=feed.last_modified)
            return FeedRun(feed.pk, "not-modified", counts)
        parsed = parsers.parse(
            result.body,
            format=feed.format,
            url=result.url,
            content_type=result.content_type,
        )
    except FetchError as exc:
        return _failed(feed, now=now, stage=IngestError.Stage.FETCH, message=str(exc))
    except (parsers.FeedError, ValueError) as exc:
        return _failed(feed, now=now, stage=IngestError.Stage.PARSE, message=str(exc))
    counts = process_items(target, parsed.items, errors=parsed.errors)
    # Validators are kept only once the items are stored: a crash above makes the
    # next poll fetch the whole feed again instead of a 304. Likewise when images
    # were left for lack of time: a 304 would never bring their items back.
    if counts.images_deferred:
        _succeeded(feed, now=now, etag="", last_modified="")
    else:
        _succeeded(feed, now=now, etag=result.etag, last_modified=result.last_modified)
    return FeedRun(feed.pk, "ok", counts)


def _succeeded(feed: Feed, *, now, etag: str, last_modified: str) -> None:
    Feed.objects.filter(pk=feed.pk).update(
        last_success_at=now,
        last_error="",
        consecutive_errors=0,
        etag=etag[:500],
        last_modified=last_modified[:100],
        next_fetch_at=now + timedelta(minutes=feed.poll_minutes),
    )


def _failed(feed: Feed, *, now, stage: str, message: str) -> FeedRun:
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
    return FeedRun(feed.pk, "error", Counts(), error=message)


def do_run_feeds(
    *, source_id: int | None = None, due_only: bool = True
) -> list[FeedRun]:
    """Run the feeds of one source, or every due feed."""
    if source_id is not None:
        feeds = Feed.objects.filter(source_id=source_id).select_related(
            "source", "category"
        )
    elif due_only:
        feeds = due_feeds(timezone.now())
    else:
        feeds = Feed.objects.filter(enabled=True).select_related("source", "category")
    config = fetch_config()
    runs = []
    for feed in feeds:
        try:
            runs.append(do_run_feed(feed, config=config))
        except Exception as exc:  # noqa: BLE001 (one feed must never stop the others)
            log.exception("feed %s failed unexpectedly", feed.url)
            message = f"{type(exc).__name__}: {exc}"
            runs.append(
                _failed(
                    feed,
                    now=timezone.now(),
                    stage=IngestError.Stage.RUN,
                    message=message,
                )
            )
    return runs


def read_file(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.read(settings.NEWSDESK_INGEST_MAX_BYTES * 20)


def do_import_file(
    path: Path, *, target: Target, format: str = "auto", progress=None
) -> Counts:
    """Import a ninjs / JSON Feed / RSS dump or a JSON Lines file of ninjs items."""
    parsed = parsers.parse(read_file(path), format=format, url=path.as_uri())
    items = progress(parsed.items) if progress else parsed.items
    return process_items(target, items, errors=parsed.errors)


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

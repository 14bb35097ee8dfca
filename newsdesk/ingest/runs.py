"""Running feeds and importing files: fetch, parse, then the processor stores
the items (writes through actions.py and newsdesk.news.actions)."""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from newsdesk.ingest import actions, parsers
from newsdesk.ingest.fetcher import FetchConfig, FetchError, fetch
from newsdesk.ingest.models import Feed, IngestError
from newsdesk.ingest.processor import Counts, Target, process_items
from newsdesk.ingest.selectors import due_feeds

log = logging.getLogger(__name__)


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
    actions.do_feed_fetched(feed, now=now)
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
    actions.do_feed_succeeded(feed, now=now, etag=etag, last_modified=last_modified)


def _failed(feed: Feed, *, now, stage: str, message: str) -> FeedRun:
    actions.do_feed_failed(feed, now=now, stage=stage, message=message)
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

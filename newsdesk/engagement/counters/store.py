"""The database side of every counter: de-duplicate, then add to totals and buckets.

All statements are batched upserts (SQLite >= 3.35 and PostgreSQL), so that
several processes may write at once and counts stay exact: the unique
constraint on RecentReader decides which hits are new views, and totals grow by
`views = views + excluded.views`, never by read-modify-write.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from newsdesk.engagement.counters import Hit
from newsdesk.engagement.models import (
    ArticleStats,
    DrainedBatch,
    IpQuota,
    RecentReader,
    ViewBucket,
)
from newsdesk.news.models import Article

log = logging.getLogger(__name__)
CHUNK = 500  # rows per statement: 1,500 parameters, far below both databases' limits


def hour_of(ts: int) -> datetime:
    return datetime.fromtimestamp(ts - ts % 3600, tz=UTC)


def live_ids(ids: Iterable[int], *, now: datetime) -> set[int]:
    """The ids among `ids` of live articles; chunked, so a flush holding beacons
    for a great many distinct ids stays within the databases' parameter limits."""
    live: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        live.update(
            Article.objects.live(now).filter(pk__in=chunk).values_list("pk", flat=True)
        )
    return live


def _chunks(rows: list, size: int = CHUNK):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _upsert(cursor, table: str, rows: list[tuple[int, int, int]], tail: str, extra):
    values = ",".join(["(%s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (article_id, reader, seen_at) VALUES {values} "  # noqa: S608 - names from _meta
        f"ON CONFLICT (article_id, reader) {tail}"
    )
    cursor.execute(sql, [x for row in rows for x in row] + extra)
    return cursor.fetchall()


def _new_views(cursor, hits: list[Hit], *, window: int) -> list[Hit]:
    """The hits that are new views; remembers their readers.

    A cookieless hit carries the reader's newly issued cookie as `alias`. The
    alias is remembered first, so the same reader's next hit (now with the
    cookie) is not a new view even within this batch; and if that next hit
    was already counted elsewhere (another process flushed first), the
    cookieless hit is remembered but not counted.
    """
    table = connection.ops.quote_name(RecentReader._meta.db_table)
    fresh_aliases: set[tuple[int, int]] = set()
    aliased = [h for h in hits if h.alias is not None]
    for chunk in _chunks(aliased):
        rows = [(h.article_id, h.alias, h.at) for h in chunk]
        tail = "DO NOTHING RETURNING article_id, reader"
        fresh_aliases.update(_upsert(cursor, table, rows, tail, []))
    already = {
        (h.article_id, h.reader)
        for h in aliased
        if (h.article_id, h.alias) not in fresh_aliases
    }
    by_reader = {(h.article_id, h.reader): h for h in hits}
    counted: list[Hit] = []
    tail = (
        "DO UPDATE SET seen_at = excluded.seen_at "
        f"WHERE {table}.seen_at <= excluded.seen_at - %s "
        "RETURNING article_id, reader, seen_at"
    )
    for chunk in _chunks(hits):
        rows = [(h.article_id, h.reader, h.at) for h in chunk]
        for article_id, reader, _ in _upsert(cursor, table, rows, tail, [window]):
            if (article_id, reader) not in already:
                counted.append(by_reader[(article_id, reader)])
    return counted


def _within_ip_cap(cursor, hits: list[Hit], *, cap: int, window: int) -> list[Hit]:
    """The new views that keep their address within `cap` views per article
    per window; the others are dropped (their readers stay remembered, so they
    are not counted later in the window either).

    One upsert per chunk adds each (article, address, window) group's new
    views to IpQuota and returns the total: the views before this batch are
    the total minus the group, decided by the database under concurrent
    writers as for RecentReader.
    """
    kept = [h for h in hits if h.ip is None]
    groups: dict[tuple[int, int, int], list[Hit]] = {}
    for h in hits:
        if h.ip is not None:
            groups.setdefault((h.article_id, h.ip, h.at // window), []).append(h)
    table = connection.ops.quote_name(IpQuota._meta.db_table)
    for chunk in _chunks(sorted(groups)):
        values = ",".join(["(%s, %s, %s, %s)"] * len(chunk))
        params = [x for key in chunk for x in (*key, len(groups[key]))]
        cursor.execute(
            f"INSERT INTO {table} (article_id, ip, slot, views) VALUES {values} "  # noqa: S608
            "ON CONFLICT (article_id, ip, slot) "
            f"DO UPDATE SET views = {table}.views + excluded.views "
            "RETURNING article_id, ip, slot, views",
            params,
        )
        for article_id, ip, slot, total in cursor.fetchall():
            group = groups[(article_id, ip, slot)]
            room = cap - (total - len(group))
            if room > 0:
                kept += sorted(group, key=lambda h: h.at)[:room]
    return kept


def add_views(cursor, buckets: Mapping[tuple[int, datetime], int]) -> None:
    """Add counted views per (article_id, hour) to the buckets and the totals."""
    if not buckets:
        return
    qn = connection.ops.quote_name
    bucket_t = qn(ViewBucket._meta.db_table)
    stats_t = qn(ArticleStats._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    rows = sorted(buckets.items())
    for chunk in _chunks(rows):
        values = ",".join(["(%s, %s, %s)"] * len(chunk))
        params: list = []
        for (article_id, hour), n in chunk:
            params += [article_id, adapt(hour), n]
        sql = (
            f"INSERT INTO {bucket_t} (article_id, hour, views) VALUES {values} "  # noqa: S608
            "ON CONFLICT (article_id, hour) "
            f"DO UPDATE SET views = {bucket_t}.views + excluded.views"
        )
        cursor.execute(sql, params)
    totals: Counter[int] = Counter()
    for (article_id, _), n in rows:
        totals[article_id] += n
    for chunk in _chunks(sorted(totals.items())):
        values = ",".join(["(%s, %s)"] * len(chunk))
        params = [x for pair in chunk for x in pair]
        sql = (
            f"INSERT INTO {stats_t} (article_id, views) VALUES {values} "  # noqa: S608
            "ON CONFLICT (article_id) "
            f"DO UPDATE SET views = {stats_t}.views + excluded.views"
        )
        cursor.execute(sql, params)


def write_hits(hits: list[Hit]) -> int:
    """Count `hits` (any order, duplicates allowed) in one transaction.

    Hits for articles that are not live (drafts, previews, withdrawn, unknown
    ids) are dropped, and so are new views beyond NEWSDESK_VIEW_IP_CAP per
    client address per article per window. Returns the number of views counted.
    """
    if not hits:
        return 0
    window = settings.NEWSDESK_VIEW_WINDOW_MINUTES * 60
    first: dict[tuple[int, int], Hit] = {}
    for hit in sorted(hits, key=lambda h: h.at):
        # One row per (article, reader) per statement: PostgreSQL refuses to
        # upsert the same row twice, and a batch is far shorter than a window.
        first.setdefault((hit.article_id, hit.reader), hit)
    with transaction.atomic():
        live = live_ids({k[0] for k in first}, now=datetime.now(tz=UTC))
        batch = [h for h in first.values() if h.article_id in live]
        if not batch:
            return 0
        with connection.cursor() as cursor:
            counted = _new_views(cursor, batch, window=window)
            cap = settings.NEWSDESK_VIEW_IP_CAP
            if cap:
                counted = _within_ip_cap(cursor, counted, cap=cap, window=window)
            buckets: Counter[tuple[int, datetime]] = Counter(
                (h.article_id, hour_of(h.at)) for h in counted
            )
            add_views(cursor, buckets)
    return len(counted)


def prune(*, now: datetime | None = None) -> tuple[int, int]:
    """Forget readers older than the window, address quotas of past windows and
    buckets older than the retention. Returns (readers, buckets) deleted."""
    now = now or datetime.now(tz=UTC)
    window = settings.NEWSDESK_VIEW_WINDOW_MINUTES * 60
    readers, _ = RecentReader.objects.filter(
        seen_at__lt=int(now.timestamp()) - window
    ).delete()
    # The previous window stays: its last hits may still be on their way.
    IpQuota.objects.filter(slot__lt=int(now.timestamp()) // window - 1).delete()
    DrainedBatch.objects.filter(applied_at__lt=now - timedelta(days=1)).delete()
    cutoff = now - timedelta(days=settings.NEWSDESK_VIEW_RETENTION_DAYS)
    buckets, _ = ViewBucket.objects.filter(hour__lt=cutoff).delete()
    return readers, buckets


def now_ts() -> int:
    return int(time.time())


def utcnow() -> datetime:
    return datetime.now(tz=UTC)

"""Writes for personal recommendations: reading history and the reader's choice.

Reads arrive one per counted view, in the request (`record_read`); like views
they wait where the view counter keeps its rows (memory, or Redis when the
counter is Redis) and are written by engagement's batch writer once per
NEWSDESK_VIEW_FLUSH_INTERVAL, as one batch: an upsert per (reader, article),
then the per-reader cap. Expired rows are deleted every PRUNE_EVERY seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from newsdesk.discovery.engines.recommend import Read
from newsdesk.discovery.models import ReadingHistory
from newsdesk.discovery.recommend.preferences import PREFERENCE_COOKIE, history_since
from newsdesk.engagement.counters import BatchWriter, Codec, Queue, get_counter
from newsdesk.news.models import Article

log = logging.getLogger(__name__)
MAX_PENDING = 200_000  # beyond this a stuck database sheds reads, never views
SLICE = 500  # rows per do_record_reads call: bounds the parameters of its queries
PRUNE_EVERY = 60.0  # seconds
PREFERENCE_MAX_AGE = 365 * 24 * 3600

Row = tuple[int, int, int]  # reader, article_id, Unix time


def _decode_read(field: str, n: int) -> Row:
    reader, article_id, at = field.split(":")
    return int(reader), int(article_id), int(at)


# A read waiting in a shared queue: "reader:article:time" (same read, same field).
READS: Codec[Row] = Codec(
    encode=lambda row: f"{row[0]}:{row[1]}:{row[2]}",
    decode=_decode_read,
    group=lambda row: row[0],
)


class ReadBuffer(BatchWriter[Row]):
    """Reads waiting for the next flush, written by one thread per process.

    They wait where the view counter keeps its own rows
    (`ViewCounter.queue`): in this process's memory with the default counter,
    in Redis with counters.redis.RedisCounter, where any host's writer writes
    them and any host sees a reader's reads not written yet.
    """

    def __init__(
        self, queue: Queue[Row] | None = None, *, autostart: bool = True
    ) -> None:
        if queue is None:
            queue = get_counter().queue(
                what="reads", codec=READS, max_pending=MAX_PENDING
            )
        super().__init__(
            queue, write=do_record_reads, what="read", autostart=autostart,
            interval=lambda: settings.NEWSDESK_VIEW_FLUSH_INTERVAL,
            slice_size=SLICE, maintain=do_prune_history, maintain_every=PRUNE_EVERY,
        )  # fmt: skip


_buffer: ReadBuffer | None = None
_buffer_lock = threading.Lock()


def get_read_buffer() -> ReadBuffer:
    """The process's read buffer, made on first use from the configured counter."""
    global _buffer
    if _buffer is None:
        with _buffer_lock:
            if _buffer is None:
                _buffer = ReadBuffer()
    return _buffer


def set_read_buffer(buffer: ReadBuffer | None) -> ReadBuffer | None:
    """Install `buffer` for this process (tests); returns the old one."""
    global _buffer
    with _buffer_lock:
        old, _buffer = _buffer, buffer
    return old


def pending_reads(reader: int) -> list[Read]:
    """Reads by `reader` still in this process's buffer, oldest first."""
    return [
        Read(article_id, float(at))
        for _, article_id, at in sorted(
            get_read_buffer().pending_for(reader), key=lambda row: row[2]
        )
    ]


def record_read(reader_id: int, article_id: int, at: int | float) -> None:
    """A counted view by a reader who allows personalisation; cheap, buffered.

    The caller has checked the reader's choice (see receivers.record_history).
    """
    get_read_buffer().add((reader_id, article_id, int(at)))


def do_record_reads(rows: Iterable[Row]) -> int:
    """Write reads in one transaction; returns the rows inserted or moved on.

    A read of an article the reader read less than NEWSDESK_VIEW_WINDOW_MINUTES
    before is the same read (a reload): it is not written again, so it is not
    fed to the recommender as another view either. Reads of articles that are
    not live are dropped. Each reader keeps the latest
    NEWSDESK_READING_HISTORY_SIZE reads.
    """
    latest: dict[tuple[int, int], int] = {}
    for reader, article_id, at in rows:
        key = (reader, article_id)
        latest[key] = max(at, latest.get(key, at))
    if not latest:
        return 0
    now = datetime.now(tz=UTC)
    window = timedelta(minutes=settings.NEWSDESK_VIEW_WINDOW_MINUTES)
    readers = {reader for reader, _ in latest}
    with transaction.atomic():
        live = set(
            Article.objects.live(now)
            .filter(pk__in={a for _, a in latest})
            .values_list("pk", flat=True)
        )
        known = {
            (reader, article_id): at
            for reader, article_id, at in ReadingHistory.objects.filter(
                reader__in=readers, article_id__in=live
            ).values_list("reader", "article_id", "read_at")
        }
        adapt = connection.ops.adapt_datetimefield_value
        new = []
        for (reader, article_id), ts in sorted(latest.items()):
            at = datetime.fromtimestamp(ts, tz=UTC)
            before = known.get((reader, article_id))
            if article_id in live and (before is None or at - before >= window):
                new.append((reader, article_id, adapt(at)))
        if not new:
            return 0
        # One upsert statement run for all rows: the ORM's bulk_create spent
        # ~70 us a row preparing values, a third of a core at 5,000 views/s.
        with connection.cursor() as cursor:
            cursor.executemany(UPSERT_SQL, new)
        # Capping each reader's history is a windowed query over their rows:
        # done for the readers that can be over the cap, not for every new one.
        _cap(_over_cap({reader for reader, _, _ in new}))
    return len(new)


UPSERT_SQL = """
    INSERT INTO discovery_readinghistory (reader, article_id, read_at)
    VALUES (%s, %s, %s)
    ON CONFLICT (reader, article_id) DO UPDATE SET read_at = excluded.read_at
"""  # SQLite >= 3.24 and PostgreSQL alike


def _over_cap(readers: set[int]) -> set[int]:
    size = settings.NEWSDESK_READING_HISTORY_SIZE
    return set(
        ReadingHistory.objects.filter(reader__in=readers)
        .values("reader")
        .annotate(n=Count("pk"))
        .filter(n__gt=size)
        .values_list("reader", flat=True)
    )


def _cap(readers: set[int]) -> None:
    if not readers:
        return
    size = settings.NEWSDESK_READING_HISTORY_SIZE
    ranked = (
        ReadingHistory.objects.filter(reader__in=readers)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("reader")],
                order_by=[F("read_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__gt=size)
        .values_list("pk", flat=True)
    )
    over = list(ranked)
    if over:
        ReadingHistory.objects.filter(pk__in=over).delete()


def do_prune_history(*, now: datetime | None = None) -> int:
    """Delete reads older than NEWSDESK_READING_HISTORY_DAYS."""
    now = now or datetime.now(tz=UTC)
    deleted, _ = ReadingHistory.objects.filter(read_at__lt=history_since(now)).delete()
    return deleted


def do_clear_history(*, reader: int) -> int:
    """Forget everything a reader read, including reads not written yet."""
    get_read_buffer().forget(reader)
    deleted, _ = ReadingHistory.objects.filter(reader=reader).delete()
    return deleted


def check_set_personalisation(response, *, reader: int | None, value: str) -> bool:
    """Store the reader's choice ("on" / "off") in the preference cookie.

    Turning it off also drops reads not written yet. Returns False for any
    other value.
    """
    if value not in ("on", "off"):
        return False
    if value == "off" and reader is not None:
        get_read_buffer().forget(reader)
    response.set_cookie(
        PREFERENCE_COOKIE,
        value,
        max_age=PREFERENCE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return True

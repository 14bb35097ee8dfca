"""Writes for personal recommendations: reading history and the reader's choice.

Reads arrive one per counted view, in the request (`record_read`); like views
they are buffered in memory and written by one thread per process once per
NEWSDESK_VIEW_FLUSH_INTERVAL, as one batch: an upsert per (reader, article),
then the per-reader cap. Expired rows are deleted every PRUNE_EVERY seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from newsdesk.discovery.engines.recommend import Read
from newsdesk.discovery.models import ReadingHistory
from newsdesk.discovery.recommend.preferences import PREFERENCE_COOKIE, history_since
from newsdesk.engagement.counters import start_writer, write_isolated
from newsdesk.news.models import Article

log = logging.getLogger(__name__)
MAX_PENDING = 200_000  # beyond this a stuck database sheds reads, never views
SLICE = 500  # rows per do_record_reads call: bounds the parameters of its queries
PRUNE_EVERY = 60.0  # seconds
PREFERENCE_MAX_AGE = 365 * 24 * 3600

Row = tuple[int, int, int]  # reader, article_id, Unix time


class ReadBuffer:
    """Reads waiting for the next flush; one writer thread per process."""

    def __init__(self, *, autostart: bool = True) -> None:
        self.autostart = autostart
        self._pending: list[Row] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._last_prune = 0.0

    def add(self, row: Row) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent writes its own
                self._pending, self._thread, self._pid = [], None, os.getpid()
            if len(self._pending) < MAX_PENDING:
                self._pending.append(row)
            if self._thread is None and self.autostart:
                self._thread = start_writer(
                    self._run, name="newsdesk-history-writer", on_exit=self.flush
                )

    def forget(self, reader: int) -> None:
        with self._lock:
            self._pending = [r for r in self._pending if r[0] != reader]

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def pending_for(self, reader: int) -> list[Row]:
        """This process's reads by `reader` not written yet (oldest first)."""
        with self._lock:
            return [row for row in self._pending if row[0] == reader]

    def flush(self) -> int:
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                # One transaction; a row the database refuses is dropped (and
                # logged) by write_isolated, never retried forever.
                with transaction.atomic():
                    return sum(
                        write_isolated(
                            batch[i : i + SLICE], do_record_reads, what="read"
                        )
                        for i in range(0, len(batch), SLICE)
                    )
            except Exception:
                # The database is unavailable: keep the reads for the next flush.
                with self._lock:
                    self._pending[:0] = batch
                raise

    def _run(self) -> None:
        try:
            while True:
                time.sleep(settings.NEWSDESK_VIEW_FLUSH_INTERVAL)
                try:
                    close_old_connections()
                    self.flush()
                    if time.monotonic() - self._last_prune > PRUNE_EVERY:
                        self._last_prune = time.monotonic()
                        do_prune_history()
                except Exception:
                    log.exception("writing reading history failed; retrying")
        finally:
            connection.close()


_buffer = ReadBuffer()


def get_read_buffer() -> ReadBuffer:
    return _buffer


def set_read_buffer(buffer: ReadBuffer) -> ReadBuffer:
    """Install `buffer` for this process (tests); returns the old one."""
    global _buffer
    old, _buffer = _buffer, buffer
    return old


def pending_reads(reader: int) -> list[Read]:
    """Reads by `reader` still in this process's buffer, oldest first."""
    return [
        Read(article_id, float(at)) for _, article_id, at in _buffer.pending_for(reader)
    ]


def record_read(reader_id: int, article_id: int, at: int | float) -> None:
    """A counted view by a reader who allows personalisation; cheap, buffered.

    The caller has checked the reader's choice (see receivers.record_history).
    """
    _buffer.add((reader_id, article_id, int(at)))


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
    _buffer.forget(reader)
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
        _buffer.forget(reader)
    response.set_cookie(
        PREFERENCE_COOKIE,
        value,
        max_age=PREFERENCE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return True

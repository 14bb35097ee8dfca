"""In-process buffered counter: hits queue in memory, one writer thread flushes.

Each process holds one buffer and one writer thread, so the database sees one
batched transaction per process per flush interval instead of one write per
hit; SQLite's own write lock (BEGIN IMMEDIATE, busy_timeout) orders the few
writers of a multi-process server. A clean shutdown (atexit: SIGINT, SIGTERM
through the server, end of a management command) flushes the buffer; a crash
loses at most the hits of the last interval and of the flush in progress.

A flush is one transaction. A hit the database refuses (see
counters.write_isolated) is dropped with a log line and the rest is counted; only
an unavailable database makes the writer keep the whole batch for the next
interval.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from newsdesk.engagement.counters import (
    Hit,
    ViewCounter,
    start_writer,
    store,
    write_isolated,
)

log = logging.getLogger(__name__)
MAX_PENDING = 1_000_000  # beyond this a stuck database starts shedding hits
PRUNE_EVERY = 60.0  # seconds


class BufferedCounter(ViewCounter):
    def __init__(self, *, interval: float | None = None, autostart: bool = True):
        self.interval = (
            settings.NEWSDESK_VIEW_FLUSH_INTERVAL if interval is None else interval
        )
        self.autostart = autostart
        self._pending: list[Hit] = []
        self._lock = threading.Lock()  # guards _pending
        self._write_lock = threading.Lock()  # one writer at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._last_prune = 0.0
        self.dropped = 0

    def record(self, hit: Hit) -> None:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child: the parent flushes what it buffered.
                self._pending, self._thread, self._pid = [], None, os.getpid()
                self._stop = threading.Event()
            if len(self._pending) >= MAX_PENDING:
                if self.dropped % 10_000 == 0:
                    log.error(
                        "view buffer full: %d beacon(s) dropped", self.dropped + 1
                    )
                self.dropped += 1
                return
            self._pending.append(hit)
            if self._thread is None and self.autostart:
                self._start()

    def _start(self) -> None:
        self._thread = start_writer(
            self._run, name="newsdesk-view-writer", on_exit=self.close
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self._flush_logged()
                if time.monotonic() - self._last_prune > PRUNE_EVERY:
                    self._last_prune = time.monotonic()
                    try:
                        store.prune()
                    except Exception:
                        log.exception("pruning engagement data failed")
        finally:
            connection.close()

    def _flush_logged(self) -> None:
        try:
            close_old_connections()
            self.flush()
        except Exception:
            log.exception("flushing views failed; retrying next interval")

    def flush(self) -> int:
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                with transaction.atomic():
                    return write_isolated(batch, store.write_hits, what="view")
            except Exception:
                # The database is unavailable (bad rows were dropped above):
                # keep the batch for the next attempt.
                with self._lock:
                    self._pending[:0] = batch
                raise

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        if self._pid == os.getpid():
            try:
                self.flush()
            finally:
                if thread is not None:
                    connection.close()

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

from django.conf import settings

from newsdesk.engagement.counters import (
    BatchWriter,
    Hit,
    MemoryQueue,
    ViewCounter,
    store,
)

MAX_PENDING = 1_000_000  # beyond this a stuck database starts shedding hits
PRUNE_EVERY = 60.0  # seconds


class BufferedCounter(ViewCounter):
    def __init__(self, *, interval: float | None = None, autostart: bool = True):
        self.interval = (
            settings.NEWSDESK_VIEW_FLUSH_INTERVAL if interval is None else interval
        )
        self.autostart = autostart
        self._queue: MemoryQueue[Hit] = MemoryQueue(
            max_pending=MAX_PENDING, what="view beacon"
        )
        self.writer = BatchWriter(
            self._queue, write=_write_hits, what="view",
            interval=self.interval, autostart=autostart,
            maintain=_prune, maintain_every=PRUNE_EVERY,
        )  # fmt: skip

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def record(self, hit: Hit) -> None:
        self.writer.add(hit)

    def flush(self) -> int:
        return self.writer.flush()

    def pending(self) -> int:
        return self.writer.pending()

    def close(self) -> None:
        self.writer.close()


# Looked up at each call, so that a replaced store function (tests) is used.
def _write_hits(hits: list[Hit]) -> int:
    return store.write_hits(hits)


def _prune() -> None:
    store.prune()

"""One batch writer for everything a request records and a thread writes later.

The view counters (buffered.BufferedCounter, redis.RedisCounter) and reading
history (discovery's ReadBuffer) all work the same way: a request adds a row
cheaply, one background thread per process writes what waits once per
interval, as one transaction; a row the database refuses is dropped with a log
line (`write_isolated`), and only an unavailable database keeps the batch for
the next attempt. `BatchWriter` is that logic, once.

Where rows wait is a `Queue`: `MemoryQueue` (this process's memory; one
machine) or redis.RedisQueue (Redis: every host's rows, drained by whichever
process holds the drain lock, each drained batch written exactly once). The
configured view counter says which one a deployment uses
(`ViewCounter.queue`), so reading history waits where views wait.

This module imports no app's models, so any app can use it.
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import logging
import multiprocessing.util
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors that say "the database cannot be written now" (locked, gone), not "this
# row cannot be written": a writer keeps its rows for the next attempt.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def start_writer(
    run: Callable[[], None], *, name: str, on_exit: Callable[[], object]
) -> threading.Thread:
    """Start a background writer thread and make sure `on_exit` (its final
    flush) runs however the process ends cleanly: atexit for ordinary exits,
    multiprocessing's finalizers for worker processes of a multiprocessing
    server (granian), which leave through os._exit and skip atexit."""
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    atexit.register(on_exit)
    multiprocessing.util.Finalize(None, on_exit, exitpriority=100)
    return thread


def write_isolated(
    rows: Sequence[T], write: Callable[[list[T]], int], *, what: str
) -> int:
    """Write `rows` with `write(rows)`, so that no row can stop the others.

    Must run inside a transaction: each attempt runs in a savepoint. When a
    batch fails for a reason of its own (a value the database refuses, a
    garbage row), it is split in halves and retried; a row that fails alone is
    dropped with a log line, and the rest is written. Errors saying the database
    is unavailable (TRANSIENT_ERRORS) propagate, so that the caller's
    transaction rolls back and the caller keeps every row for its next attempt.
    Returns the sum of what `write` returned for the rows written; a batch of n
    rows holding k bad ones costs about 2 k log2(n) attempts.
    """
    total = 0
    stack = [list(rows)]
    while stack:
        part = stack.pop()
        if not part:
            continue
        try:
            with transaction.atomic():
                total += write(part)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            if len(part) == 1:
                log.exception("dropped a %s that cannot be written: %r", what, part[0])
                continue
            mid = len(part) // 2
            stack += [part[mid:], part[:mid]]  # the first half is written first
    return total


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How a row is stored in a shared queue (Redis): as one hash field,
    counted (rows with the same field are merged, their count kept).

    `decode(field, count)` raises ValueError for a field it cannot read. With
    `group` (the row's owner), `encode` begins with `f"{group(row)}:"`.
    """

    encode: Callable[[T], str]
    decode: Callable[[str, int], T]
    group: Callable[[T], int] | None = None


@dataclass
class Batch(Generic[T]):
    """Rows taken from a queue to be written together; `key` names the batch
    in a shared queue (exactly-once bookkeeping), None in memory."""

    rows: list[T]
    key: str | None = None


class Queue(abc.ABC, Generic[T]):
    """Where rows wait for the writer. `group` is a row's owner (a reader),
    so that rows not written yet can be listed or forgotten per owner."""

    @abc.abstractmethod
    def put(self, row: T) -> None:
        """Add one row; cheap (runs in the request). May drop when full."""

    @abc.abstractmethod
    def pending(self) -> int: ...

    @abc.abstractmethod
    def pending_for(self, group: int) -> list[T]:
        """Rows of `group` not written yet."""

    @abc.abstractmethod
    def forget(self, group: int) -> None:
        """Drop the rows of `group` not written yet."""

    @abc.abstractmethod
    def draining(self) -> contextlib.AbstractContextManager[Iterator[Batch[T]]]:
        """The batches to write now, oldest first (a writer holds it exclusively)."""

    def claim(self, batch: Batch[T]) -> bool:
        """Inside the writer's transaction: False when `batch` was written
        already (by a writer that died before calling `done`)."""
        return True

    def written(self, batch: Batch[T]) -> None:
        """Inside the writer's transaction, after `batch` was written."""

    def done(self, batch: Batch[T]) -> None:
        """After the writer's transaction committed."""

    def keep(self, batch: Batch[T]) -> None:
        """The database was unavailable: `batch` waits for the next flush."""

    def after_fork(self) -> None:
        """In a forked child: rows the parent holds are the parent's to write."""

    def close(self) -> None: ...


class MemoryQueue(Queue[T]):
    """Rows in this process's memory: one machine, lost if the process dies."""

    def __init__(
        self,
        *,
        max_pending: int,
        what: str,
        group: Callable[[T], int] | None = None,
    ) -> None:
        self.max_pending = max_pending
        self.what = what
        self.group = group
        self.dropped = 0
        self._rows: list[T] = []
        self._lock = threading.Lock()

    def put(self, row: T) -> None:
        with self._lock:
            if len(self._rows) < self.max_pending:
                self._rows.append(row)
                return
            if self.dropped % 10_000 == 0:
                log.error("%s buffer full: %d dropped", self.what, self.dropped + 1)
            self.dropped += 1

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def pending_for(self, group: int) -> list[T]:
        assert self.group is not None
        with self._lock:
            return [row for row in self._rows if self.group(row) == group]

    def forget(self, group: int) -> None:
        assert self.group is not None
        key = self.group
        with self._lock:
            self._rows = [row for row in self._rows if key(row) != group]

    @contextlib.contextmanager
    def draining(self) -> Iterator[Iterator[Batch[T]]]:
        with self._lock:
            rows, self._rows = self._rows, []
        yield iter([Batch(rows)] if rows else [])

    def keep(self, batch: Batch[T]) -> None:
        with self._lock:
            self._rows[:0] = batch.rows

    def after_fork(self) -> None:
        with self._lock:
            self._rows = []


class BatchWriter(Generic[T]):
    """Rows added by requests, written by one background thread per process.

    `write(rows)` writes a list of rows inside the flush's transaction and
    returns what it counted; it is called through `write_isolated`, at most
    `slice_size` rows at a time. `maintain`, if given, runs in the thread every
    `maintain_every` seconds (pruning).
    """

    def __init__(
        self,
        queue: Queue[T],
        *,
        write: Callable[[list[T]], int],
        what: str,
        interval: Callable[[], float] | float,
        autostart: bool = True,
        slice_size: int = 0,
        maintain: Callable[[], object] | None = None,
        maintain_every: float = 60.0,
    ) -> None:
        self.queue = queue
        self.write = write
        self.what = what
        self._interval = interval
        self.autostart = autostart
        self.slice_size = slice_size
        self.maintain = maintain
        self.maintain_every = maintain_every
        self._write_lock = threading.Lock()  # one flush at a time
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._last_maintained = 0.0
        self.on_exit: Callable[[], object] = self.close

    @property
    def interval(self) -> float:
        value = self._interval
        return value() if callable(value) else value

    def add(self, row: T) -> None:
        if self._pid != os.getpid():
            self._forked()
        self.queue.put(row)
        self.start()

    def start(self) -> None:
        """Start this process's writer thread unless running (or autostart is
        off); for callers that put rows into the queue themselves."""
        if self._pid != os.getpid():
            self._forked()
        if self.autostart and self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = start_writer(
                        self._run, name=f"newsdesk-{self.what}-writer",
                        on_exit=self.on_exit,
                    )  # fmt: skip

    def _forked(self) -> None:
        with self._start_lock:
            if self._pid != os.getpid():
                self.queue.after_fork()
                self._thread, self._pid = None, os.getpid()
                self._stop = threading.Event()

    def pending(self) -> int:
        return self.queue.pending()

    def pending_for(self, group: int) -> list[T]:
        return self.queue.pending_for(group)

    def forget(self, group: int) -> None:
        self.queue.forget(group)

    def flush(self) -> int:
        """Write every batch waiting now; returns what `write` counted.

        Raises (keeping the batch for the next flush) when the database is
        unavailable; rows it refuses are dropped and logged.
        """
        total = 0
        with self._write_lock, self.queue.draining() as batches:
            for batch in batches:
                try:
                    with transaction.atomic():
                        if self.queue.claim(batch):
                            total += self._write_batch(batch.rows)
                            self.queue.written(batch)
                except Exception:
                    self.queue.keep(batch)
                    for rest in batches:
                        self.queue.keep(rest)
                    raise
                self.queue.done(batch)
        return total

    def _write_batch(self, rows: list[T]) -> int:
        step = self.slice_size or max(len(rows), 1)
        return sum(
            write_isolated(rows[i : i + step], self.write, what=self.what)
            for i in range(0, len(rows), step)
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    close_old_connections()
                    self.flush()
                except Exception:
                    log.exception("writing %ss failed; retrying", self.what)
                if (
                    self.maintain is not None
                    and time.monotonic() - self._last_maintained > self.maintain_every
                ):
                    self._last_maintained = time.monotonic()
                    try:
                        self.maintain()
                    except Exception:
                        log.exception("maintenance of %ss failed", self.what)
        finally:
            connection.close()

    def close(self) -> None:
        """Stop the thread and write what waits (clean shutdown)."""
        if self._pid != os.getpid():
            return  # a forked child's copy: the parent writes its rows
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        try:
            self.flush()
        finally:
            if thread is not None:
                connection.close()

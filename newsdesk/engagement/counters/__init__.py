"""The view counter: one interface between the beacon and the storage of views.

Callers only ever use `get_counter().record(hit)`. The implementation is chosen
by NEWSDESK_VIEW_COUNTER (dotted path to a `ViewCounter` subclass); the
built-in in-process buffer registers the same way a custom one would.
"""

from __future__ import annotations

import abc
import atexit
import logging
import multiprocessing.util
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)
T = TypeVar("T")

# Article ids are signed 64-bit integers in every supported database (BigAutoField).
MAX_ID = 2**63 - 1
# Errors that say "the database cannot be written now" (locked, gone), not "this
# row cannot be written": a writer keeps its rows for the next attempt.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def valid_id(value: object) -> bool:
    """True for an int that can be an article id (1 .. 2**63 - 1)."""
    return type(value) is int and 0 < value <= MAX_ID


@dataclass(frozen=True, slots=True)
class Hit:
    """One accepted beacon: a candidate view, not yet de-duplicated."""

    article_id: int
    reader: int
    at: int  # Unix time, seconds
    alias: int | None = None  # the reader's newly issued cookie key, if any
    ip: int | None = None  # keyed hash of the client address (per-address cap)


class ViewCounter(abc.ABC):
    """Counts views exactly once per reader per article per window.

    `record` must be cheap (it runs in the request); the view becomes visible
    in ArticleStats and ViewBucket at the latest after one flush interval.
    """

    @abc.abstractmethod
    def record(self, hit: Hit) -> None: ...

    @abc.abstractmethod
    def flush(self) -> int:
        """Write everything recorded so far; returns the number of views counted."""

    def close(self) -> None:
        """Flush and release resources (called at clean shutdown)."""
        self.flush()


_counter: ViewCounter | None = None
_counter_pid: int | None = None
_lock = threading.Lock()


def get_counter() -> ViewCounter:
    """The process's counter, created on first use (after any fork)."""
    global _counter, _counter_pid
    counter = _counter
    if counter is not None and _counter_pid == os.getpid():
        return counter
    with _lock:
        if _counter is None or _counter_pid != os.getpid():
            _counter = import_string(settings.NEWSDESK_VIEW_COUNTER)()
            _counter_pid = os.getpid()
        return _counter


def set_counter(counter: ViewCounter | None) -> ViewCounter | None:
    """Install `counter` for this process (tests, embedding); returns the old one."""
    global _counter, _counter_pid
    with _lock:
        old, _counter, _counter_pid = _counter, counter, os.getpid()
    return old


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

"""The view counter: one interface between the beacon and the storage of views.

Callers only ever use `get_counter().record(hit)`. The implementation is chosen
by NEWSDESK_VIEW_COUNTER (dotted path to a `ViewCounter` subclass); the
built-in in-process buffer registers the same way a custom one would.
"""

from __future__ import annotations

import abc
import logging
import os
import threading
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.utils.module_loading import import_string

from newsdesk.engagement.counters.batch import (  # noqa: F401 (re-exported)
    TRANSIENT_ERRORS,
    Batch,
    BatchWriter,
    Codec,
    MemoryQueue,
    Queue,
    start_writer,
    write_isolated,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# Article ids are signed 64-bit integers in every supported database (BigAutoField).
MAX_ID = 2**63 - 1


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

    def queue(self, *, what: str, codec: Codec[T], max_pending: int) -> Queue[T]:
        """Where another writer's rows (reading history) wait: where this
        counter keeps its own, so a deployment that shares views across hosts
        (Redis) shares those rows too. In this process's memory by default."""
        return MemoryQueue(max_pending=max_pending, what=what, group=codec.group)


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

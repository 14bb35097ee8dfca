"""The view counter: one interface between the beacon and the storage of views.

Callers only ever use `get_counter().record(hit)`. The implementation is chosen
by NEWSDESK_VIEW_COUNTER (dotted path to a `ViewCounter` subclass); the
built-in in-process buffer registers the same way a custom one would.
"""

from __future__ import annotations

import abc
import atexit
import multiprocessing.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True, slots=True)
class Hit:
    """One accepted beacon: a candidate view, not yet de-duplicated."""

    article_id: int
    reader: int
    at: int  # Unix time, seconds
    alias: int | None = None  # the reader's newly issued cookie key, if any


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

"""Redis-backed counter: de-duplication and pending counts live in Redis.

For several servers (or many processes) sharing one database: every process
records into Redis with one round trip (a Lua script: SET NX EX for the
reader, INCR of the address's quota, HINCRBY of the pending (article, hour)
count), and whichever process
holds the drain lock moves pending counts into ArticleStats and ViewBucket.
Nothing is lost when a web process crashes; what Redis loses depends on its
own persistence settings (appendonly). A drainer killed at any point neither
loses nor double-counts a batch (models.DrainedBatch). A pending count the
database refuses (see counters.write_isolated) is dropped with a log line; the
rest is applied.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from newsdesk.engagement.counters import (
    Hit,
    ViewCounter,
    start_writer,
    store,
    write_isolated,
)
from newsdesk.engagement.models import DrainedBatch

log = logging.getLogger(__name__)

PENDING = "newsdesk:views:pending"
DRAINING = "newsdesk:views:draining:"
LOCK = "newsdesk:views:drain-lock"

# KEYS: seen key, alias key (or ""), pending hash, address quota key (or "");
# ARGV: window, field, cap. A new view beyond the address's cap is not counted
# (its reader stays seen), as in store.write_hits.
RECORD = """
local fresh = redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) end
if not fresh then return 0 end
if KEYS[4] ~= '' then
  local n = redis.call('INCR', KEYS[4])
  if n == 1 then redis.call('EXPIRE', KEYS[4], ARGV[1]) end
  if n > tonumber(ARGV[3]) then return 0 end
end
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return 1
"""


class RedisCounter(ViewCounter):
    def __init__(
        self, *, url: str | None = None, interval: float | None = None,
        autostart: bool = True, prefix: str = "", lock_timeout: float = 15.0,
    ):  # fmt: skip
        import redis  # optional dependency (pip install newsdesk[postgres])

        self.client = redis.Redis.from_url(
            url or settings.NEWSDESK_VIEW_COUNTER_REDIS_URL
        )
        self.prefix = prefix
        # How long a drainer killed mid-drain holds up the others (nothing is
        # lost: its batch is applied once by the next). Renewed before each batch.
        self.lock_timeout = lock_timeout
        self.interval = (
            settings.NEWSDESK_VIEW_FLUSH_INTERVAL if interval is None else interval
        )
        self.autostart = autostart
        self._script = self.client.register_script(RECORD)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._start_lock = threading.Lock()
        self._closed = False

    def _k(self, name: str) -> str:
        return self.prefix + name

    def record(self, hit: Hit) -> None:
        window = settings.NEWSDESK_VIEW_WINDOW_MINUTES * 60
        seen = self._k(f"newsdesk:views:seen:{hit.article_id}:{hit.reader}")
        alias = (
            self._k(f"newsdesk:views:seen:{hit.article_id}:{hit.alias}")
            if hit.alias is not None
            else ""
        )
        field = f"{hit.article_id}:{hit.at - hit.at % 3600}"
        cap = settings.NEWSDESK_VIEW_IP_CAP
        quota = (
            self._k(f"newsdesk:views:ip:{hit.article_id}:{hit.ip}:{hit.at // window}")
            if cap and hit.ip is not None
            else ""
        )
        self._script(
            keys=[seen, alias, self._k(PENDING), quota], args=[window, field, cap]
        )
        if self.autostart and (self._thread is None or self._pid != os.getpid()):
            with self._start_lock:
                if self._thread is None or self._pid != os.getpid():
                    self._pid = os.getpid()
                    self._stop = threading.Event()
                    self._thread = start_writer(
                        self._run, name="newsdesk-view-drain", on_exit=self.close
                    )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    close_old_connections()
                    self.flush()
                except Exception:
                    log.exception("draining views from Redis failed; retrying")
        finally:
            connection.close()

    def flush(self) -> int:
        """Move pending counts into the database; safe to call from any process."""
        lock = self.client.lock(
            self._k(LOCK), timeout=self.lock_timeout, blocking_timeout=10
        )
        if not lock.acquire():
            return 0
        try:
            total = 0
            # Leftovers of a drainer that died before deleting its key come first.
            keys = [k.decode() for k in self.client.scan_iter(self._k(DRAINING) + "*")]
            name = self._k(DRAINING) + uuid.uuid4().hex
            try:
                self.client.rename(self._k(PENDING), name)
                keys.append(name)
            except Exception as exc:  # no pending hash: nothing new
                if "no such key" not in str(exc).lower():
                    raise
            for key in keys:
                lock.reacquire()
                total += self._apply(key)
            return total
        finally:
            lock.release()

    def _apply(self, key: str) -> int:
        """Apply one renamed batch exactly once (see models.DrainedBatch)."""
        raw = self.client.hgetall(key)
        items: Counter[tuple[int, int]] = Counter()
        for field, n in raw.items():
            try:
                article_id, hour = field.decode().split(":")
                items[(int(article_id), int(hour))] += int(n)
            except ValueError:  # UnicodeDecodeError included
                log.error("dropped pending views with a bad field: %r", field)
        with transaction.atomic():
            if DrainedBatch.objects.filter(name=key).exists():
                counted = 0  # applied by a drainer that died before the delete
            else:
                counted = write_isolated(
                    sorted(items.items()), _add_counts, what="pending view count"
                )
                DrainedBatch.objects.create(name=key)
        self.client.delete(key)
        DrainedBatch.objects.filter(name=key).delete()
        return counted

    def close(self) -> None:
        if self._closed:  # at exit, after an explicit close
            return
        self._closed = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        try:
            self.flush()
        finally:
            self.client.close()


def _add_counts(items: list[tuple[tuple[int, int], int]]) -> int:
    """Add ((article_id, hour as Unix time), views) items of live articles."""
    live = store.live_ids(
        {article_id for (article_id, _), _ in items}, now=store.utcnow()
    )
    kept: Counter[tuple[int, datetime]] = Counter()
    for (article_id, hour), n in items:
        if article_id in live:
            kept[(article_id, store.hour_of(hour))] += n
    with connection.cursor() as cursor:
        store.add_views(cursor, kept)
    return sum(kept.values())

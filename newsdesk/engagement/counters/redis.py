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

import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import connection

from newsdesk.engagement.counters import (
    Batch,
    BatchWriter,
    Codec,
    Hit,
    Queue,
    ViewCounter,
    store,
)
from newsdesk.engagement.models import DrainedBatch

log = logging.getLogger(__name__)
T = TypeVar("T")

VIEWS = "newsdesk:views"
PENDING = VIEWS + ":pending"
DRAINING = VIEWS + ":draining:"
LOCK = VIEWS + ":drain-lock"

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

# KEYS: pending hash, dropped counter; ARGV: field, cap (0: none). A new field
# beyond the cap is dropped and counted; a field already waiting still counts.
PUT = """
local cap = tonumber(ARGV[2])
if cap == 0 or redis.call('HLEN', KEYS[1]) < cap
    or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  return 0
end
return redis.call('INCR', KEYS[2])
"""

ViewCount = tuple[tuple[int, int], int]  # ((article_id, hour as Unix time), views)


def _decode_count(field: str, n: int) -> ViewCount:
    article_id, hour = field.split(":")
    return (int(article_id), int(hour)), n


VIEW_COUNTS: Codec[ViewCount] = Codec(
    encode=lambda item: f"{item[0][0]}:{item[0][1]}", decode=_decode_count
)


class RedisQueue(Queue[T]):
    """Rows in one Redis hash (`<name>:pending`, field -> count) shared by every
    host; whichever process holds the drain lock writes them.

    A drain renames the hash to `<name>:draining:<uuid>` and writes it in one
    transaction that also records the name (models.DrainedBatch); the key is
    deleted after the commit. A drainer killed at any point neither loses nor
    writes a batch twice: the next drainer writes leftovers first, or drops a
    leftover whose name is recorded.

    Bounded: with `max_pending`, the pending hash holds at most that many
    fields (a stopped writer, every host still adding); a new row beyond it is
    dropped, counted in `<name>:dropped` (every host's drops) and logged. A
    batch that could not be written (the database is down) stays the only one
    draining: the pending rows are renamed only once it is written.
    """

    def __init__(
        self,
        client,
        *,
        name: str,
        codec: Codec[T],
        lock_timeout: float = 15.0,
        max_pending: int = 0,
    ) -> None:
        self.client = client
        self.codec = codec
        self.name = name
        self.key = name + ":pending"
        self.draining_prefix = name + ":draining:"
        self.lock_key = name + ":drain-lock"
        self.dropped_key = name + ":dropped"
        # How long a drainer killed mid-drain holds up the others (nothing is
        # lost: its batch is written once by the next). Renewed before each batch.
        self.lock_timeout = lock_timeout
        self.max_pending = max_pending
        self.dropped = 0  # by this process
        self._put = client.register_script(PUT)

    def put(self, row: T) -> None:
        field = self.codec.encode(row)
        total = int(
            self._put(keys=[self.key, self.dropped_key], args=[field, self.max_pending])
        )
        if total:
            self.dropped += 1
            if total % 10_000 == 1:
                log.error(
                    "%s queue in Redis full (%d waiting): %d dropped in all",
                    self.name, self.max_pending, total,
                )  # fmt: skip

    def dropped_total(self) -> int:
        """Rows every host dropped because the queue was full."""
        return int(self.client.get(self.dropped_key) or 0)

    def _draining_keys(self) -> list[str]:
        return [k.decode() for k in self.client.scan_iter(self.draining_prefix + "*")]

    def _decode(self, fields) -> list[T]:
        rows = []
        for field, n in fields:
            try:
                rows.append(self.codec.decode(field.decode(), int(n)))
            except ValueError:  # UnicodeDecodeError included
                log.error("dropped a waiting row with a bad field: %r", field)
        return rows

    def pending(self) -> int:
        return sum(self.client.hlen(k) for k in [self.key, *self._draining_keys()])

    def _fields_of(self, group: int) -> Iterator[tuple[str, tuple]]:
        for key in [self.key, *self._draining_keys()]:
            for item in self.client.hscan_iter(key, match=f"{group}:*", count=1000):
                yield key, item

    def pending_for(self, group: int) -> list[T]:
        return self._decode(item for _, item in self._fields_of(group))

    def forget(self, group: int) -> None:
        for key, (field, _) in list(self._fields_of(group)):
            self.client.hdel(key, field)

    @contextlib.contextmanager
    def draining(self) -> Iterator[Iterator[Batch[T]]]:
        lock = self.client.lock(
            self.lock_key, timeout=self.lock_timeout, blocking_timeout=10
        )
        if not lock.acquire():
            yield iter([])
            return
        try:
            # Leftovers (a drainer that died before deleting its key, a batch
            # the database refused) come first, alone: while they cannot be
            # written, no further batch piles up beside them.
            keys = self._draining_keys()
            name = self.draining_prefix + uuid.uuid4().hex
            try:
                if not keys:
                    self.client.rename(self.key, name)
                    keys.append(name)
            except Exception as exc:  # no pending hash: nothing new
                if "no such key" not in str(exc).lower():
                    raise
            yield self._batches(keys, lock)
        finally:
            lock.release()

    def _batches(self, keys: list[str], lock) -> Iterator[Batch[T]]:
        for key in keys:
            lock.reacquire()
            yield Batch(self._decode(self.client.hgetall(key).items()), key=key)

    def claim(self, batch: Batch[T]) -> bool:
        return not DrainedBatch.objects.filter(name=batch.key).exists()

    def written(self, batch: Batch[T]) -> None:
        DrainedBatch.objects.create(name=batch.key)

    def done(self, batch: Batch[T]) -> None:
        self.client.delete(batch.key)
        DrainedBatch.objects.filter(name=batch.key).delete()


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
        self.lock_timeout = lock_timeout
        self.interval = (
            settings.NEWSDESK_VIEW_FLUSH_INTERVAL if interval is None else interval
        )
        self.autostart = autostart
        self._script = self.client.register_script(RECORD)
        self._queue: RedisQueue[ViewCount] = RedisQueue(
            self.client, name=self._k(VIEWS), codec=VIEW_COUNTS,
            lock_timeout=lock_timeout,
        )  # fmt: skip
        self.writer = BatchWriter(
            self._queue, write=_add_counts, what="pending view count",
            interval=self.interval, autostart=autostart,
        )  # fmt: skip
        self.writer.on_exit = self.close
        self._closed = False

    def _k(self, name: str) -> str:
        return self.prefix + name

    def queue(self, *, what: str, codec: Codec[T], max_pending: int) -> Queue[T]:
        """Rows of other writers (reading history) wait in Redis too."""
        return RedisQueue(
            self.client, name=self._k(f"newsdesk:{what}"), codec=codec,
            lock_timeout=self.lock_timeout, max_pending=max_pending,
        )  # fmt: skip

    def record(self, hit: Hit) -> None:
        window = settings.NEWSDESK_VIEW_WINDOW_MINUTES * 60
        seen = self._k(f"newsdesk:views:seen:{hit.article_id}:{hit.reader}")
        alias = (
            self._k(f"newsdesk:views:seen:{hit.article_id}:{hit.alias}")
            if hit.alias is not None
            else ""
        )
        field = VIEW_COUNTS.encode(((hit.article_id, hit.at - hit.at % 3600), 1))
        cap = settings.NEWSDESK_VIEW_IP_CAP
        quota = (
            self._k(f"newsdesk:views:ip:{hit.article_id}:{hit.ip}:{hit.at // window}")
            if cap and hit.ip is not None
            else ""
        )
        self._script(
            keys=[seen, alias, self._queue.key, quota], args=[window, field, cap]
        )
        self.writer.start()

    def flush(self) -> int:
        """Move pending counts into the database; safe to call from any process."""
        return self.writer.flush()

    def pending(self) -> int:
        return self.writer.pending()

    def close(self) -> None:
        if self._closed:  # at exit, after an explicit close
            return
        self._closed = True
        try:
            self.writer.close()
        finally:
            self.client.close()


def _add_counts(items: list[ViewCount]) -> int:
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

"""kill -9 of the production server in the middle of a view flush.

The real thing: `python -m newsdesk serve` (granian) on SQLite in a data
folder of its own, beacons from many readers, and SIGKILL to the whole process
group at the moment the view writer holds the database's write lock (seen from
outside: BEGIN IMMEDIATE is refused). Then: nothing half-written, no view
counted twice after a restart, and nothing lost that the server answered
before the flush preceding the last completed one committed (docs/engagement.md:
the loss window is one interval plus the flush in progress; the test allows
one flush more, as it sees flushes only from outside).

One worker: the write-lock periods seen from outside are then one writer's
flushes, one after another, and the bound is exact rather than a guess about
timing on a loaded machine.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

INTERVAL = 0.2  # NEWSDESK_VIEW_FLUSH_INTERVAL of the server under test
# The writer prunes after its first flush, then once a minute: after this
# many seconds of traffic every write-lock period is a flush.
WARM_UP = 1.5
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
SETUP = """
from django.core.management import call_command
from django.utils import timezone
from newsdesk.news.actions import do_save_category
from newsdesk.news.models import Article, Category
call_command("migrate", verbosity=0, interactive=False)
c = do_save_category(Category(name="Crash", slug="crash"))
a = Article.objects.create(headline="Crash", slug="crash", category=c,
    status="published", published_at=timezone.now())
print(a.pk)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict, *, deadline: float, log: Path):
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:  # a file: a full pipe would block the server
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "newsdesk", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", "1"],
                env=env, cwd=REPO, stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/robots.txt")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(
                        f"server did not start:\n{self.tail()}"
                    ) from None
                time.sleep(0.1)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL to granian and its workers; returns once all are gone."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.proc.wait(timeout=10)
        for _ in range(200):
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)

    def stop(self) -> None:
        """A clean stop (SIGINT to granian, which stops its workers; they flush
        their buffers on the way out)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"server did not stop within 30 s:\n{self.tail()}"
            ) from None


def beacon(conn: http.client.HTTPConnection, article: int, reader: int) -> int:
    conn.request(
        "POST",
        f"/engagement/beacon/{article}",
        headers={
            "Cookie": f"newsdesk_reader=crashreader{reader:014d}",
            "User-Agent": UA,
            # One address per reader: the per-address cap stays in force and
            # writes its rows in the same transactions.
            "X-Forwarded-For": f"10.{reader // 65536 % 256}.{reader // 256 % 256}"
            f".{reader % 256}",
            # No reading history: the view writer is then the only writer, so
            # the lock seen below is a view flush's.
            "Sec-GPC": "1",
            "Content-Length": "0",
        },
    )
    response = conn.getresponse()
    response.read()
    return response.status


def counts(db: Path, article: int) -> dict[str, int]:
    con = sqlite3.connect(db, timeout=30)
    try:
        one = lambda sql: con.execute(sql, (article,)).fetchone()[0]  # noqa: E731
        return {
            "total": one(
                "SELECT COALESCE(SUM(views), 0) FROM engagement_articlestats "
                "WHERE article_id = ?"
            ),
            "buckets": one(
                "SELECT COALESCE(SUM(views), 0) FROM engagement_viewbucket "
                "WHERE article_id = ?"
            ),
            "readers": one(
                "SELECT COUNT(*) FROM engagement_recentreader WHERE article_id = ?"
            ),
        }
    finally:
        con.close()


def test_kill_9_during_a_flush_duplicates_nothing_and_loses_at_most_the_window(
    tmp_path,
):
    deadline = time.monotonic() + 90  # a bound for a heavily loaded machine
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
        "NEWSDESK_DATA_DIR": str(tmp_path),
        "NEWSDESK_DEBUG": "0",
        "NEWSDESK_CACHE_URL": "locmem://",
        "NEWSDESK_VIEW_FLUSH_INTERVAL": str(INTERVAL),
        "NEWSDESK_PROXY_HOPS": "1",
        "NEWSDESK_VIEW_COUNTER": (
            "newsdesk.engagement.counters.buffered.BufferedCounter"
        ),
    }
    env.pop("NEWSDESK_DATABASE_URL", None)  # the test inspects the SQLite file
    db = tmp_path / "newsdesk.sqlite3"
    article = int(
        subprocess.run(
            [sys.executable, "-m", "newsdesk", "shell", "--no-imports", "-c", SETUP],
            env=env, cwd=REPO, check=True, capture_output=True, text=True,
            timeout=120,
        ).stdout.split()[-1]
    )  # fmt: skip

    server = Server(env, deadline=deadline, log=tmp_path / "server.log")
    acks: list[tuple[int, float]] = []  # (reader, time the 204 arrived)
    acks_lock = threading.Lock()
    stop = threading.Event()
    next_reader = iter(range(10**9))

    def send() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        while not stop.is_set():
            with acks_lock:
                reader = next(next_reader)
            try:
                status = beacon(conn, article, reader)
            except OSError:  # the server is gone
                return
            if status == 204:
                with acks_lock:
                    acks.append((reader, time.monotonic()))

    senders = [threading.Thread(target=send, daemon=True) for _ in range(4)]
    try:
        for t in senders:
            t.start()
        # Past the writer's first flush and the prune after it (the only
        # writes other than flushes for a minute), then kill as soon as the
        # writer holds the lock with two completed flushes seen before.
        while (
            len(acks) < 300 or time.monotonic() - acks[0][1] < WARM_UP
        ) and time.monotonic() < deadline:
            time.sleep(0.01)
        probe = sqlite3.connect(db, timeout=0, isolation_level=None)
        periods: list[list[float]] = []  # [start, end] of lock periods seen
        locked = False
        killed_at = None
        probe_until = time.monotonic() + 20
        while time.monotonic() < min(probe_until, deadline):
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                if locked:
                    periods[-1].append(time.monotonic())  # committed by now
                locked = False
            except sqlite3.OperationalError:  # database is locked: mid-flush
                now = time.monotonic()
                if not locked:
                    periods.append([now])
                    locked = True
                if len(periods) >= 3:
                    server.kill()
                    killed_at = now
                    break
            time.sleep(0.0005)
        probe.close()
        stop.set()
        for t in senders:
            t.join(timeout=15)
        assert killed_at is not None, "no flush was seen holding the write lock"
    finally:
        stop.set()
        server.kill()

    acked = [reader for reader, at in acks]
    after_kill = counts(db, article)
    # Nothing half-written: every counted view is in its bucket and has its
    # reader row (one reader per address, so every new reader was counted).
    assert after_kill["total"] == after_kill["buckets"] == after_kill["readers"]
    assert after_kill["total"] <= len(acked)
    # The flush before the one killed took its batch at least one interval
    # after the flush before it committed (the writer waits an interval in
    # between): a beacon answered before that commit was seen is counted.
    bound = periods[-3][1]
    before = sum(1 for _, at in acks if at < bound)
    assert after_kill["total"] >= before, (after_kill, before, server.tail())
    lost = len(acked) - after_kill["total"]
    times = sorted(at for _, at in acks)
    lost_span = killed_at - times[-lost] if lost else 0.0

    # Restart, and every reader (counted, lost, or in flight at the kill)
    # comes back within the window: the ones counted are not counted again.
    server = Server(env, deadline=deadline, log=tmp_path / "server.log")
    try:
        readers = range(max(acked) + 5)

        def resend(part: range) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            for reader in part:
                assert beacon(conn, article, reader) == 204
            conn.close()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(resend, [readers[i::4] for i in range(4)]))
        server.stop()
    finally:
        server.kill()
    final = counts(db, article)
    assert final["total"] == final["buckets"] == final["readers"] == len(readers)
    assert time.monotonic() < deadline
    print(
        f"\n{len(acked)} beacons answered before kill -9, {after_kill['total']} "
        f"counted, {lost} lost (as many as were answered in the last "
        f"{lost_span:.2f} s; bound checked: {killed_at - bound:.2f} s); "
        f"after restart "
        f"{final['total']} views for {len(readers)} readers"
    )


DRAIN = """
import os, signal, sys
from django.core.management import call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from newsdesk.engagement.counters import Hit
from newsdesk.engagement.counters.redis import RedisCounter
from newsdesk.engagement.counters.store import now_ts
from newsdesk.engagement.models import DrainedBatch
from newsdesk.news.actions import do_save_category
from newsdesk.news.models import Article, Category

call_command("migrate", verbosity=0, interactive=False)
c = do_save_category(Category(name="Crash", slug="crash"))
a = Article.objects.create(headline="Crash", slug="crash", category=c,
    status="published", published_at=timezone.now())
# A short drain lock: the next drainer waits for it to expire, not 15 s.
counter = RedisCounter(url=os.environ["REDIS_URL"], autostart=False, lock_timeout=1)
counter.client.flushdb()
t = now_ts()
for reader in range(500):
    counter.record(Hit(a.pk, reader, t, ip=reader))
print(a.pk, flush=True)

def kill_now():
    os.kill(os.getpid(), signal.SIGKILL)

def die(**kwargs):
    # The batch's marker is written last in the applying transaction.
    if os.environ["WHEN"] == "after-commit":  # before the Redis key is deleted
        transaction.on_commit(kill_now)
    else:  # in the middle of the transaction
        kill_now()

post_save.connect(die, sender=DrainedBatch)
counter.flush()
"""

VERIFY = """
import os
from newsdesk.engagement import selectors
from newsdesk.engagement.counters.redis import DRAINING, RedisCounter
counter = RedisCounter(url=os.environ["REDIS_URL"], autostart=False)
left = len(list(counter.client.scan_iter(DRAINING + "*")))
drained = counter.flush()
print(left, drained, selectors.view_count(int(os.environ["ARTICLE"])))
"""


@pytest.mark.parametrize("when", ["mid-transaction", "after-commit"])
def test_kill_9_of_a_redis_drainer_neither_loses_nor_doubles_a_batch(
    tmp_path, redis_url, when
):
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
        "NEWSDESK_DATA_DIR": str(tmp_path),
        "NEWSDESK_CACHE_URL": "locmem://",
        "REDIS_URL": redis_url,
        "WHEN": when,
    }
    env.pop("NEWSDESK_DATABASE_URL", None)

    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "newsdesk", "shell", "--no-imports", "-c", code],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    drainer = run(DRAIN)
    assert drainer.returncode == -signal.SIGKILL, drainer.stderr[-3000:]
    env["ARTICLE"] = drainer.stdout.split()[0]
    verify = run(VERIFY)
    assert verify.returncode == 0, verify.stderr[-3000:]
    left, drained, views = map(int, verify.stdout.split())
    assert left == 1  # the killed drainer's batch was still in Redis
    assert views == 500  # counted once: not lost, not doubled
    assert drained == (500 if when == "mid-transaction" else 0)

"""One contract for every view counter: in-process buffer and Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from newsdesk.engagement import selectors
from newsdesk.engagement.counters import Hit
from newsdesk.engagement.counters.buffered import BufferedCounter
from newsdesk.engagement.counters.store import now_ts
from newsdesk.engagement.models import ViewBucket
from newsdesk.news.models import Article

pytestmark = pytest.mark.django_db


class CounterContract:
    """Subclasses provide `make_counter` (a fixture returning a factory)."""

    def test_distinct_readers_count_exactly(self, make_counter, article):
        counter = make_counter()
        t = now_ts()
        for reader in range(1, 301):
            counter.record(Hit(article.pk, reader, t))
        assert counter.flush() == 300
        assert selectors.view_count(article.pk) == 300
        assert ViewBucket.objects.get(article=article).views == 300

    def test_repeats_within_window_count_once(self, make_counter, article):
        counter = make_counter()
        t = now_ts()
        for i in range(5):
            counter.record(Hit(article.pk, 7, t + i))
        counter.flush()
        counter.record(Hit(article.pk, 7, t + 60))
        counter.flush()
        assert selectors.view_count(article.pk) == 1

    def test_cookie_issued_to_a_cookieless_reader_is_the_same_reader(
        self, make_counter, article
    ):
        counter = make_counter()
        t = now_ts()
        counter.record(Hit(article.pk, reader=111, at=t, alias=222))
        counter.record(Hit(article.pk, reader=222, at=t + 1))
        counter.flush()
        counter.record(Hit(article.pk, reader=222, at=t + 2))
        counter.flush()
        assert selectors.view_count(article.pk) == 1

    def test_articles_that_are_not_live_are_not_counted(
        self, make_counter, make_article
    ):
        counter = make_counter()
        draft = make_article(status=Article.Status.DRAFT)
        counter.record(Hit(draft.pk, 1, now_ts()))
        counter.record(Hit(10**9, 1, now_ts()))
        counter.flush()
        assert selectors.view_count(draft.pk) == 0

    def test_concurrent_recording_loses_nothing(self, make_counter, article):
        counter = make_counter()
        t = now_ts()

        def worker(base):
            for i in range(250):
                counter.record(Hit(article.pk, base + i, t))

        threads = [threading.Thread(target=worker, args=(k * 1000,)) for k in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        counter.flush()
        assert selectors.view_count(article.pk) == 2000

    def test_two_processes_share_the_deduplication(self, make_counter, article):
        first, second = make_counter(), make_counter()
        t = now_ts()
        for reader in range(100):
            first.record(Hit(article.pk, reader, t))
            second.record(Hit(article.pk, reader, t + 1))
        second.record(Hit(article.pk, 1000, t))
        first.flush()
        second.flush()
        assert selectors.view_count(article.pk) == 101

    def test_close_flushes(self, make_counter, article):
        counter = make_counter()
        counter.record(Hit(article.pk, 5, now_ts()))
        counter.close()
        assert selectors.view_count(article.pk) == 1


class TestBufferedCounter(CounterContract):
    @pytest.fixture
    def make_counter(self):
        return lambda: BufferedCounter(autostart=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the Redis counter is not tested")
    pytest.importorskip("redis", reason="the redis Python package is not installed")
    import redis

    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="newsdesk-redis-")
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.skip("redis-server did not start")
    yield url
    client.close()
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)


class TestRedisCounter(CounterContract):
    @pytest.fixture
    def make_counter(self, redis_url):
        from newsdesk.engagement.counters.redis import RedisCounter

        made = []

        def make():
            counter = RedisCounter(url=redis_url, autostart=False)
            made.append(counter)
            return counter

        make().client.flushdb()
        yield make
        for counter in made:
            counter.client.close()

"""One contract for every view counter: in-process buffer and Redis."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError

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

    def test_a_bad_row_is_dropped_and_the_rest_counted(
        self, make_counter, make_article, caplog
    ):
        # Rows the edge never lets through, put straight into the writer's
        # buffer: one used to make every flush fail, forever.
        counter = make_counter()
        first, second = make_article(), make_article()
        t = now_ts()
        counter.record(Hit(first.pk, 1, t))
        counter.record(Hit(2**63, 2, t))  # beyond the database's integers
        counter.record(Hit(first.pk, 3, t))
        counter.record(Hit(10**30, 4, t))
        counter.record(Hit("garbage", 5, t))  # type: ignore[arg-type]
        counter.record(Hit(-5, 6, t))
        counter.record(Hit(second.pk, 7, t))
        assert counter.flush() == 3
        assert selectors.view_count(first.pk) == 2
        assert selectors.view_count(second.pk) == 1
        assert "dropped" in caplog.text
        # Nothing bad is kept for another attempt: the next flush goes on.
        counter.record(Hit(second.pk, 8, t))
        assert counter.flush() == 1
        assert selectors.view_count(second.pk) == 2
        assert counter.flush() == 0

    def test_new_views_from_one_address_are_capped_per_article_and_window(
        self, make_counter, make_article, settings
    ):
        settings.NEWSDESK_VIEW_IP_CAP = 20
        window = settings.NEWSDESK_VIEW_WINDOW_MINUTES * 60
        counter = make_counter()
        article, other = make_article(), make_article()
        t = now_ts() // window * window  # the start of a window
        for reader in range(500):  # fresh cookies, one address
            counter.record(Hit(article.pk, reader, t, ip=1))
        for reader in range(50):  # one reader per address
            counter.record(Hit(article.pk, 10_000 + reader, t, ip=100 + reader))
        counter.record(Hit(other.pk, 1, t, ip=1))  # each article has its own cap
        counter.flush()
        assert selectors.view_count(article.pk) == 20 + 50
        assert selectors.view_count(other.pk) == 1
        counter.record(Hit(article.pk, 20_000, t + 60, ip=1))  # a later flush
        counter.flush()
        assert selectors.view_count(article.pk) == 70
        counter.record(Hit(article.pk, 20_001, t + window, ip=1))  # next window
        counter.flush()
        assert selectors.view_count(article.pk) == 71

    def test_processes_share_the_address_cap(self, make_counter, article, settings):
        settings.NEWSDESK_VIEW_IP_CAP = 20
        first, second = make_counter(), make_counter()
        t = now_ts()
        for reader in range(15):
            first.record(Hit(article.pk, reader, t, ip=7))
            second.record(Hit(article.pk, 100 + reader, t, ip=7))
        first.flush()
        second.flush()
        assert selectors.view_count(article.pk) == 20

    def test_no_address_cap_when_set_to_zero(self, make_counter, article, settings):
        settings.NEWSDESK_VIEW_IP_CAP = 0
        counter = make_counter()
        for reader in range(50):
            counter.record(Hit(article.pk, reader, now_ts(), ip=1))
        counter.flush()
        assert selectors.view_count(article.pk) == 50


@pytest.mark.django_db(transaction=True)
class WriterThreadContract:
    """The background writer itself goes on after a bad row (committed data:
    the writer thread has its own database connection)."""

    def test_writer_thread_keeps_counting_after_a_bad_row(
        self, make_counter, make_article
    ):
        counter = make_counter(autostart=True, interval=0.05)
        article = make_article()
        t = now_ts()
        try:
            counter.record(Hit(2**63, 1, t))
            counter.record(Hit(article.pk, 2, t))
            wait_for(lambda: selectors.view_count(article.pk) == 1)
            for reader in range(3, 13):
                counter.record(Hit(article.pk, reader, t))
                counter.record(Hit(2**64 + reader, reader, t))
            wait_for(lambda: selectors.view_count(article.pk) == 11)
        finally:
            counter.close()


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except OperationalError:
            # The in-memory test database locks whole tables (shared cache)
            # and has no busy timeout while the writer thread writes.
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:.0f} s")
        time.sleep(0.02)


class TestBufferedCounter(CounterContract):
    @pytest.fixture
    def make_counter(self):
        return lambda **kw: BufferedCounter(**{"autostart": False, **kw})

    def test_a_flush_with_many_distinct_ids_stays_within_parameter_limits(
        self, make_counter, article, low_parameter_limit
    ):
        # A buffer that filled up with beacons for unknown ids (while the
        # database was locked, say) must still flush: one statement per
        # flush with a parameter per id failed every time, forever.
        counter = make_counter()
        t = now_ts()
        for i in range(5_000):
            counter.record(Hit(10**9 + i, i, t))
        counter.record(Hit(article.pk, 1, t))
        assert counter.flush() == 1
        assert selectors.view_count(article.pk) == 1

    def test_a_bad_row_leaves_nothing_pending(self, make_counter, article):
        counter = make_counter()
        counter.record(Hit(2**63, 1, now_ts()))
        counter.record(Hit(article.pk, 1, now_ts()))
        assert counter.flush() == 1
        assert counter.pending() == 0


class TestBufferedWriterThread(WriterThreadContract):
    @pytest.fixture
    def make_counter(self):
        return lambda **kw: BufferedCounter(**{"autostart": False, **kw})


@pytest.fixture
def make_redis_counter(redis_url):
    from newsdesk.engagement.counters.redis import RedisCounter

    made = []

    def make(**kw):
        counter = RedisCounter(url=redis_url, **{"autostart": False, **kw})
        made.append(counter)
        return counter

    make().client.flushdb()
    yield make
    for counter in made:
        counter.client.close()


class TestRedisCounter(CounterContract):
    @pytest.fixture
    def make_counter(self, make_redis_counter):
        return make_redis_counter

    def test_a_bad_field_in_redis_is_dropped(self, make_counter, article):
        from newsdesk.engagement.counters.redis import PENDING

        counter = make_counter()
        counter.record(Hit(article.pk, 1, now_ts()))
        counter.client.hset(PENDING, mapping={b"\xff:1": 1, "x:y": 2, "7": 3})
        assert counter.flush() == 1
        assert counter.flush() == 0  # nothing left to retry


class TestRedisWriterThread(WriterThreadContract):
    @pytest.fixture
    def make_counter(self, make_redis_counter):
        return make_redis_counter

"""One batch writer for views and reading history, in memory or in Redis."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from newsdesk.discovery.models import ReadingHistory
from newsdesk.discovery.recommend import actions as recommend_actions
from newsdesk.discovery.recommend.actions import READS, ReadBuffer
from newsdesk.engagement.counters import BatchWriter, MemoryQueue, set_counter
from newsdesk.engagement.counters.store import now_ts

pytestmark = pytest.mark.django_db


class QueueContract:
    """Subclasses provide `make_queue`: each call is one process's (or, for a
    shared queue, one host's) handle on the same waiting rows."""

    def test_a_bad_row_is_dropped_and_the_rest_written(
        self, make_queue, make_article, caplog
    ):
        article = make_article()
        buffer = ReadBuffer(make_queue(), autostart=False)
        t = now_ts()
        buffer.add((1, article.pk, t))
        buffer.add((2**70, article.pk, t))  # a reader beyond 64-bit integers
        buffer.add((3, article.pk, t))
        assert buffer.flush() == 2
        assert buffer.pending() == 0
        assert "dropped" in caplog.text
        assert buffer.flush() == 0

    def test_an_unavailable_database_keeps_the_batch(self, make_queue, make_article):
        article = make_article()
        calls = []

        def write(rows):
            calls.append(rows)
            if len(calls) == 1:
                raise OperationalError("database is locked")
            return recommend_actions.do_record_reads(rows)

        writer = BatchWriter(
            make_queue(), write=write, what="read", interval=1.0, autostart=False
        )
        writer.add((1, article.pk, now_ts()))
        with pytest.raises(OperationalError):
            writer.flush()
        assert writer.pending() == 1
        assert ReadingHistory.objects.count() == 0
        assert writer.flush() == 1
        assert writer.pending() == 0
        assert ReadingHistory.objects.get().reader == 1

    def test_reads_not_written_yet_are_listed_and_forgotten_per_reader(
        self, make_queue, make_article
    ):
        a, b = make_article(), make_article()
        buffer = ReadBuffer(make_queue(), autostart=False)
        t = now_ts()
        buffer.add((7, a.pk, t))
        buffer.add((8, a.pk, t))
        buffer.add((7, b.pk, t + 1))
        assert sorted(buffer.pending_for(7)) == [(7, a.pk, t), (7, b.pk, t + 1)]
        buffer.forget(7)
        assert buffer.pending_for(7) == []
        assert buffer.flush() == 1
        assert list(ReadingHistory.objects.values_list("reader", flat=True)) == [8]

    def test_a_full_queue_drops_new_rows_and_counts_them(
        self, make_queue, make_article, caplog
    ):
        # A stopped writer must not let the queue grow without bound.
        article = make_article()
        queue = make_queue()  # at most 100 rows wait
        t = now_ts()
        for reader in range(105):
            queue.put((reader, article.pk, t))
        assert queue.pending() == 100
        assert queue.dropped == 5
        assert "full" in caplog.text
        buffer = ReadBuffer(queue, autostart=False)
        assert buffer.flush() == 100  # the first ones were kept
        assert 104 not in ReadingHistory.objects.values_list("reader", flat=True)
        buffer.add((200, article.pk, t))
        assert buffer.pending() == 1


class TestMemoryQueue(QueueContract):
    @pytest.fixture
    def make_queue(self):
        return lambda: MemoryQueue(max_pending=100, what="reads", group=READS.group)


@pytest.fixture
def redis_counter(redis_url):
    from newsdesk.engagement.counters.redis import RedisCounter

    made = []

    def make():
        counter = RedisCounter(url=redis_url, autostart=False, lock_timeout=2)
        made.append(counter)
        return counter

    make().client.flushdb()
    yield make
    for counter in made:
        counter.client.close()


class TestRedisQueue(QueueContract):
    @pytest.fixture
    def make_queue(self, redis_counter):
        return lambda: redis_counter().queue(what="reads", codec=READS, max_pending=100)

    def test_reads_recorded_on_one_host_are_written_by_another(
        self, make_queue, make_article
    ):
        article = make_article()
        host_a = ReadBuffer(make_queue(), autostart=False)
        host_b = ReadBuffer(make_queue(), autostart=False)
        t = now_ts()
        host_a.add((5, article.pk, t))
        # Host B's recommendations already see host A's read.
        assert host_b.pending_for(5) == [(5, article.pk, t)]
        assert host_b.flush() == 1
        assert host_a.pending() == 0
        assert host_a.flush() == 0
        assert ReadingHistory.objects.get().article_id == article.pk

    def test_reading_history_waits_where_a_redis_counter_keeps_views(
        self, redis_counter, make_article
    ):
        article = make_article()
        old = set_counter(redis_counter())
        try:
            buffer = ReadBuffer(autostart=False)
            old_buffer = recommend_actions.set_read_buffer(buffer)
            try:
                recommend_actions.record_read(9, article.pk, now_ts())
            finally:
                recommend_actions.set_read_buffer(old_buffer)
        finally:
            set_counter(old)
        # Nothing waits in this process: another process drains Redis.
        queue = redis_counter().queue(what="reads", codec=READS, max_pending=100)
        assert ReadBuffer(queue, autostart=False).flush() == 1
        assert ReadingHistory.objects.get().reader == 9

    def test_every_host_counts_the_drops_and_repeats_still_count(
        self, make_queue, make_article
    ):
        article = make_article()
        host_a, host_b = make_queue(), make_queue()
        t = now_ts()
        for reader in range(100):
            host_a.put((reader, article.pk, t))
        host_a.put((500, article.pk, t))
        host_b.put((501, article.pk, t))
        host_b.put((0, article.pk, t))  # already waiting: merged, not dropped
        assert (host_a.dropped, host_b.dropped) == (1, 1)
        assert host_b.dropped_total() == 2
        assert host_a.pending() == 100

    def test_a_database_that_stays_down_leaves_one_batch_draining(
        self, make_queue, make_article
    ):
        article = make_article()
        down = True

        def write(rows):
            if down:
                raise OperationalError("database is locked")
            return recommend_actions.do_record_reads(rows)

        queue = make_queue()
        writer = BatchWriter(
            queue, write=write, what="read", interval=1, autostart=False
        )
        t = now_ts()
        for reader in range(300):  # a flush every 100 reads, each failing
            writer.add((reader, article.pk, t))
            if reader % 100 == 99:
                with pytest.raises(OperationalError):
                    writer.flush()
        assert len(queue._draining_keys()) == 1
        assert writer.pending() == 200  # the failed batch and 100 waiting
        down = False
        assert writer.flush() == 100  # the batch that failed first
        assert writer.flush() == 100
        assert writer.pending() == 0

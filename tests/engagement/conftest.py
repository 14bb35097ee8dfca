from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.discovery.recommend import actions as recommend_actions
from newsdesk.discovery.recommend.actions import ReadBuffer
from newsdesk.engagement.counters import set_counter
from newsdesk.engagement.counters.buffered import BufferedCounter
from newsdesk.news.actions import do_save_category
from newsdesk.news.models import Article, Category
from tests.conftest import require

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
_cookies = itertools.count()


def reader_cookie() -> str:
    """A well-formed reader cookie, distinct on every call."""
    return f"testreader{next(_cookies):012d}xxxxxx"


@pytest.fixture(autouse=True)
def _isolated(settings):
    # Rankings and rate limits live in the cache: one private cache per test.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    from django.core.cache import cache

    cache.clear()
    # Counted views feed the reading history: a buffer without a writer
    # thread, so that no thread writes into a test's database behind its back.
    old = recommend_actions.set_read_buffer(ReadBuffer(autostart=False))
    yield
    recommend_actions.set_read_buffer(old)


@pytest.fixture
def counter():
    """A buffered counter without its writer thread: tests flush by hand."""
    c = BufferedCounter(autostart=False)
    old = set_counter(c)
    yield c
    set_counter(old)


@pytest.fixture
def section(db):
    return do_save_category(Category(name="World", slug="world"))


@pytest.fixture
def make_article(section):
    n = itertools.count()

    def make(*, category=None, hours_ago: float = 1, status=Article.Status.PUBLISHED):
        i = next(n)
        return Article.objects.create(
            headline=f"Story {i}",
            slug=f"story-{i}",
            body="<p>Text.</p>",
            category=category or section,
            status=status,
            published_at=timezone.now() - timedelta(hours=hours_ago),
        )

    return make


@pytest.fixture
def article(make_article):
    return make_article()


@pytest.fixture
def low_parameter_limit(db):
    """SQLite's default limit of 999 parameters per statement (Debian builds
    allow 250,000): a flush must stay within it whatever the buffer holds."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield None  # PostgreSQL's own limit is 65,535
        return
    import sqlite3

    connection.ensure_connection()
    raw = connection.connection
    old = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    yield 999
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, old)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    """NEWSDESK_TEST_REDIS_URL (CI starts one), else a throwaway redis-server."""
    pytest.importorskip("redis", reason="the redis Python package is not installed")
    import redis

    if os.environ.get("NEWSDESK_TEST_REDIS_URL"):
        yield os.environ["NEWSDESK_TEST_REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed: Redis is not tested")
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
        require(False, "redis-server did not start")
    yield url
    client.close()
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def keep_test_connection():
    """Call the WSGI application directly without it closing the test's
    database connection at the end of a request (on PostgreSQL that ends the
    test's transaction); Django's test client does the same."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)

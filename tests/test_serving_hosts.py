"""Two app servers on separate data folders, one PostgreSQL, one Redis.

What a scale-out deployment runs (docs/operators.md): each host has its own
`NEWSDESK_DATA_DIR` and nothing else of its own. Across the two hosts the
tests check pages (a page stored by one is a hit on the other), purges (an
edit made through one is served by both within 2 s), view counts (a reader is
counted once whichever host they reach) and related lists (an article added
on host A is in host B's related list within 2 s).

Runs when PostgreSQL and Redis are configured: NEWSDESK_TEST_POSTGRES_URL (or
a postgres:// NEWSDESK_TEST_DATABASE_URL) and NEWSDESK_TEST_REDIS_URL, as CI
sets them (.ci/run). The servers use a database of their own, made and dropped
here, and Redis databases 3-5 of that server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import REPO, require

pytestmark = pytest.mark.slow

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
QUAKE = (
    "A magnitude 7.1 earthquake struck off the coast of Chile on Tuesday, collapsing "
    "buildings and killing at least 12 people, officials said. Rescue teams searched "
    "the rubble through the night as aftershocks shook the region."
)
FOLLOW_UP = (
    "Aid agencies rushed tents and water to Chile after Tuesday's earthquake, as the "
    "death toll climbed to 40. Engineers inspected damaged bridges and schools, and "
    "the government declared three days of mourning for the earthquake victims."
)
OTHER = [
    "The central bank raised interest rates by a quarter point to fight inflation.",
    "The football club signed a new striker for a record transfer fee.",
    "Parliament passed the budget after a long night of negotiations.",
    "A new museum of modern art opened its doors in the old harbour district.",
    "Scientists reported a new species of frog found in the rainforest canopy.",
    "The city council approved a new cycle lane along the river embankment.",
]


def postgres_url() -> str | None:
    url = os.environ.get("NEWSDESK_TEST_POSTGRES_URL", "")
    database = os.environ.get("NEWSDESK_TEST_DATABASE_URL", "")
    if not url and database.startswith(("postgres://", "postgresql://")):
        url = database
    return url or None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


def request(url, *, method="GET", headers=None):
    # Both hosts behind one name, as behind a load balancer.
    req = urllib.request.Request(
        url, method=method, headers={"Host": "news.example", **(headers or {})}
    )
    with urllib.request.urlopen(req, timeout=20) as response:  # noqa: S310
        return response.headers, response.read()


def wait_up(url, proc, deadline=90):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}")
        try:
            request(url)
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not come up")


SETUP = f"""
import json
from datetime import timedelta
from django.utils import timezone
from newsdesk.news import actions
from newsdesk.news.models import Article, Category
world = actions.do_save_category(Category(name="World", slug="world"))
ids = {{}}
for i, text in enumerate({OTHER!r}):
    a = actions.do_save_article(Article(headline=f"Story {{i}}", category=world,
        body=f"<p>{{text}}</p>", status="published",
        published_at=timezone.now() - timedelta(hours=i + 2)))
    ids[a.headline] = a.pk
quake = actions.do_save_article(Article(headline="Earthquake hits Chile",
    category=world, body="<p>{QUAKE}</p>", status="published",
    published_at=timezone.now() - timedelta(hours=1)))
ids[quake.headline] = quake.pk
print("IDS", json.dumps(ids))
"""

# An editor's change made through a host: its own process, that host's settings.
EDIT = """
import time
from newsdesk.news import actions
from newsdesk.news.models import Article
a = Article.objects.get(headline="Story 0")
a.headline = "Story 0, updated"
print("STARTED", time.time(), flush=True)
actions.do_save_article(a)
"""

PUBLISH = f"""
import time
from django.utils import timezone
from newsdesk.news import actions
from newsdesk.news.models import Article, Category
article = Article(headline="Chile quake toll rises", body="<p>{FOLLOW_UP}</p>",
    category=Category.objects.get(slug="world"), status="published",
    published_at=timezone.now())
print("STARTED", time.time(), flush=True)
actions.do_save_article(article)
print("ID", article.pk, flush=True)
"""


class Hosts:
    def __init__(self, env: dict[str, dict[str, str]], urls: dict[str, str]):
        self.env = env
        self.urls = urls
        self.ids: dict[str, int] = {}

    def views(self, article_id: int) -> int:
        """The article's count in the shared database (engagement_articlestats)."""
        import psycopg

        with psycopg.connect(self.env["a"]["NEWSDESK_DATABASE_URL"]) as db:
            row = db.execute(
                "SELECT views FROM engagement_articlestats WHERE article_id = %s",
                [article_id],
            ).fetchone()
        return row[0] if row else 0

    def shell(self, host: str, code: str) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "newsdesk", "shell", "-c", code],
            env=self.env[host], stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def get(self, host: str, path: str, **kw):
        return request(self.urls[host] + path, **kw)


def value(output: str, label: str) -> str:
    for line in output.splitlines():
        if line.startswith(label + " "):
            return line.split(" ", 1)[1]
    raise AssertionError(f"no {label} in {output!r}")


@pytest.fixture(scope="module")
def hosts():
    pytest.importorskip("redis")
    psycopg = pytest.importorskip("psycopg")
    pg, redis_url = postgres_url(), os.environ.get("NEWSDESK_TEST_REDIS_URL")
    require(
        bool(pg and redis_url),
        "two hosts need PostgreSQL and Redis: set NEWSDESK_TEST_POSTGRES_URL "
        "(postgres://...) and NEWSDESK_TEST_REDIS_URL (redis://...), as .ci/run does",
    )
    import redis

    name = f"newsdesk_hosts_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = urlunsplit(urlsplit(pg)._replace(path=f"/{name}"))
    stores = [redis_db(redis_url, n) for n in (3, 4, 5)]
    for url in stores:
        redis.Redis.from_url(url).flushdb()
    base = Path(tempfile.mkdtemp(prefix="newsdesk-hosts-"))
    common = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
        "NEWSDESK_DATABASE_URL": database,
        "NEWSDESK_PAGE_CACHE_URL": stores[0],
        "NEWSDESK_VIEW_COUNTER": "newsdesk.engagement.counters.redis.RedisCounter",
        "NEWSDESK_VIEW_COUNTER_REDIS_URL": stores[1],
        "NEWSDESK_VIEW_FLUSH_INTERVAL": "0.2",
        "NEWSDESK_CACHE_URL": stores[2],
        "NEWSDESK_SECRET_KEY": "two-hosts-test",
        "NEWSDESK_ALLOWED_HOSTS": "news.example",
        "NEWSDESK_LOG_LEVEL": "ERROR",
    }
    for key in ("NEWSDESK_TEST_DATABASE_URL", "NEWSDESK_DATA_DIR"):
        common.pop(key, None)
    env = {}
    for host in ("a", "b"):
        (base / host).mkdir()
        env[host] = {**common, "NEWSDESK_DATA_DIR": str(base / host)}
    servers: dict[str, subprocess.Popen] = {}
    try:
        manage = [sys.executable, "-m", "newsdesk"]
        subprocess.run([*manage, "migrate", "-v0"], env=env["a"], check=True)
        urls = {}
        for host in env:
            port = free_port()
            servers[host] = subprocess.Popen(  # noqa: S603
                [*manage, "serve", "--port", str(port), "--workers", "1"],
                env=env[host], stdout=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            urls[host] = f"http://127.0.0.1:{port}"
        result = Hosts(env, urls)
        setup = result.shell("a", SETUP)
        result.ids = json.loads(value(setup.communicate(timeout=120)[0], "IDS"))
        assert setup.returncode == 0
        for host in env:
            wait_up(urls[host] + "/robots.txt", servers[host])
        yield result
    finally:
        for proc in servers.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for url in stores:
            redis.Redis.from_url(url).flushdb()
        shutil.rmtree(base, ignore_errors=True)


def related_list(body: bytes) -> str:
    """The Related block of an article page; "" when it is absent or shows its
    fallback ("More in this section") because the article has no related list."""
    html = body.decode()
    start = html.find('data-block="related"')
    section = html[start : html.find("</section>", start)] if start >= 0 else ""
    return section if '">Related</h2>' in section else ""


def until(check, *, seconds: float, what: str) -> float:
    """Poll `check()` until true; returns when it became true (time.time())."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return time.time()
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_a_page_stored_by_one_host_is_a_hit_on_the_other(hosts):
    page = f"/news/{hosts.ids['Story 1']}/story-1/"
    headers, body = hosts.get("a", page)
    assert b"Story 1" in body and "Age" not in headers
    # Host B never rendered it: a hit from the shared cache.
    headers, body_b = hosts.get("b", page)
    assert "Age" in headers and body_b == body


def test_an_edit_through_one_host_is_served_by_both_within_2_s(hosts):
    page = f"/news/{hosts.ids['Story 0']}/story-0/"
    for host in ("a", "b"):  # both hold a copy of the old page and home
        hosts.get(host, page)
        hosts.get(host, "/")
    editor = hosts.shell("a", EDIT)
    fresh: dict[str, float] = {}
    while len(fresh) < 2:
        for host in ("a", "b"):
            if host in fresh:
                continue
            _, body = hosts.get(host, page)
            _, home = hosts.get(host, "/")
            if b"Story 0, updated" in body and b"Story 0, updated" in home:
                fresh[host] = time.time()
        assert editor.poll() in (None, 0)
        time.sleep(0.02)
    started = float(value(editor.communicate(timeout=60)[0], "STARTED"))
    for host, at in fresh.items():
        assert at - started < 2.0, (
            f"host {host} served the old page {at - started:.2f} s"
        )


def test_a_reader_is_counted_once_whichever_host_they_reach(hosts):
    article = hosts.ids["Story 2"]
    beacon = f"/engagement/beacon/{article}"
    for host, reader in (("a", "one"), ("b", "one"), ("b", "two"), ("a", "two")):
        cookie = f"newsdesk_reader=hostsreader{reader:0>16}xx"
        hosts.get(host, beacon, method="POST",
                  headers={"User-Agent": CHROME, "Cookie": cookie})  # fmt: skip

    until(
        lambda: hosts.views(article) == 2,
        seconds=10,
        what="two readers counted, each once, across hosts",
    )
    time.sleep(1.0)  # every drainer has run since: still two
    assert hosts.views(article) == 2


def test_an_article_added_on_one_host_is_in_the_others_related_list(hosts):
    quake = hosts.ids["Earthquake hits Chile"]
    page = f"/news/{quake}/earthquake-hits-chile/"
    for host in ("a", "b"):
        _, body = hosts.get(host, page)  # both hold the page before the article
        assert "Chile quake toll rises" not in related_list(body)
    editor = hosts.shell("a", PUBLISH)

    def listed() -> bool:
        assert editor.poll() in (None, 0)
        return "Chile quake toll rises" in related_list(hosts.get("b", page)[1])

    at = until(listed, seconds=20, what="the new article in host B's related list")
    output = editor.communicate(timeout=60)[0]
    assert editor.returncode == 0
    started = float(value(output, "STARTED"))
    added = int(value(output, "ID"))
    assert f"/news/{added}/" in related_list(hosts.get("b", page)[1])
    assert at - started < 2.0, f"host B listed it after {at - started:.2f} s"
    # The new article's own page, never rendered before, on host B.
    _, body = hosts.get("b", f"/news/{added}/chile-quake-toll-rises/")
    assert f"/news/{quake}/" in related_list(body)

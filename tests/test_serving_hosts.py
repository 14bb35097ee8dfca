"""Two app servers with separate data folders share one page cache (Redis) and
one database: a page stored by one is a hit on the other, and an edit made
through one is served by both within 2 seconds."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, require

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    if os.environ.get("NEWSDESK_TEST_REDIS_URL"):
        yield os.environ["NEWSDESK_TEST_REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="newsdesk-redis-")
    proc = subprocess.Popen(  # noqa: S603
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/3"
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


def get(url):
    # Both hosts behind one name, as behind a load balancer.
    request = urllib.request.Request(url, headers={"Host": "news.example"})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return response.headers, response.read()


def wait_up(url, proc, deadline=90):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not come up")


SETUP = """
from datetime import timedelta
from django.utils import timezone
from newsdesk.news import actions
from newsdesk.news.models import Article, Category
world = actions.do_save_category(Category(name="World", slug="world"))
for i in range(6):
    actions.do_save_article(Article(headline=f"Story {i}", category=world,
        status="published", published_at=timezone.now() - timedelta(hours=i + 1)))
"""

EDIT = """
from newsdesk.news import actions
from newsdesk.news.models import Article
a = Article.objects.get(headline="Story 0")
a.headline = "Story 0, updated"
actions.do_save_article(a)
import time
print("COMMITTED", time.time())
"""


def test_two_hosts_share_pages_and_purges(redis_url):
    pytest.importorskip("redis")
    base = Path(tempfile.mkdtemp(prefix="newsdesk-hosts-"))
    database = f"sqlite:///{base / 'shared.sqlite3'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
        "NEWSDESK_DATABASE_URL": database,
        "NEWSDESK_PAGE_CACHE_URL": redis_url,
        "NEWSDESK_SECRET_KEY": "two-hosts-test",
        "NEWSDESK_ALLOWED_HOSTS": "news.example",
        "NEWSDESK_LOG_LEVEL": "ERROR",
    }
    hosts = {}
    try:
        for name in ("a", "b"):
            (base / name).mkdir()
            hosts[name] = {**env, "NEWSDESK_DATA_DIR": str(base / name)}
        manage = [sys.executable, "-m", "newsdesk"]
        subprocess.run([*manage, "migrate", "-v0"], env=hosts["a"], check=True)
        subprocess.run([*manage, "shell", "-c", SETUP], env=hosts["a"], check=True)
        servers, urls = {}, {}
        for name, host_env in hosts.items():
            port = free_port()
            servers[name] = subprocess.Popen(  # noqa: S603
                [*manage, "serve", "--port", str(port), "--workers", "1"],
                env=host_env, stdout=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            urls[name] = f"http://127.0.0.1:{port}"
        for name in hosts:
            wait_up(urls[name] + "/robots.txt", servers[name])
        page = "/news/1/story-0/"
        headers, body = get(urls["a"] + page)
        assert b"Story 0" in body and "Age" not in headers
        # Host B never rendered it: a hit from the shared cache.
        headers, body_b = get(urls["b"] + page)
        assert "Age" in headers and body_b == body
        for name in hosts:
            get(urls[name] + "/")
        # Both hosts are read all along (each keeps its copy fresh); the edit
        # is made by a third process, as an editor's request on host A would.
        editor = subprocess.Popen(  # noqa: S603
            [*manage, "shell", "-c", EDIT], env=hosts["a"], stdout=subprocess.PIPE
        )
        fresh: dict[str, float] = {}
        while len(fresh) < len(hosts):
            for name in hosts:
                if name in fresh:
                    continue
                _, body = get(urls[name] + page)
                _, home = get(urls[name] + "/")
                if b"Story 0, updated" in body and b"Story 0, updated" in home:
                    fresh[name] = time.time()
            assert editor.poll() in (None, 0)
            time.sleep(0.02)
        output = editor.communicate(timeout=60)[0].decode()
        committed = float(output.split("COMMITTED")[1].split()[0])
        for name, at in fresh.items():
            assert at - committed < 2.0, (
                f"host {name} served the old page for {at - committed:.2f} s"
            )
    finally:
        for proc in locals().get("servers", {}).values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)

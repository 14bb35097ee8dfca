"""kill -9 of a real `python -m newsdesk ingest run` (issue 14, faults).

A real process, a real SQLite database in a private data folder, a large feed
served from 127.0.0.1, and SIGKILL at three moments: while the feed is still
arriving (served slowly), and twice while items are being written. After each
kill the database must be intact, every article present must be whole (its
fingerprint, tags and search row written in the same transaction), and a plain
re-run must bring in exactly the missing items: none half-written, none twice.
The same set-up shows that a hostile feed due first does not stop the process
(`ingest run` exits 0 and polls the next feed).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import REPO

from .conftest import TESTDATA, make_rss

pytestmark = pytest.mark.slow

ITEMS = 600


class SlowFeedServer:
    """Serves one body per path; `slow` paths go out in 16 KB chunks with a pause
    between them, and `halfway` is set once half of such a body is sent."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.slow: set[str] = set()
        self.halfway = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = server.bodies.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path not in server.slow:
                    self.wfile.write(body)
                    return
                try:
                    for start in range(0, len(body), 16384):
                        self.wfile.write(body[start : start + 16384])
                        if start >= len(body) // 2:
                            server.halfway.set()
                        time.sleep(0.05)
                except OSError:
                    pass  # the client was killed

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = SlowFeedServer()
    yield s
    s.close()


@pytest.fixture
def site(tmp_path):
    """A private data folder with a migrated SQLite database and one section."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSDESK_", "DJANGO_"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
        NEWSDESK_DATA_DIR=str(tmp_path),
        NEWSDESK_CACHE_URL="locmem://",
        NEWSDESK_INGEST_ALLOW_PRIVATE="1",
        NEWSDESK_INGEST_HOST_INTERVAL="0",
        NEWSDESK_INGEST_TIMEOUT="60",
    )

    def cli(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "newsdesk", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            **kwargs,
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "newsdesk", *args],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    cli("migrate", "--no-input", "-v", "0")
    cli(
        "shell",
        "-c",
        "from newsdesk.news import actions; "
        "actions.get_or_create_category_path([('World', 'world')])",
    )
    db = tmp_path / "newsdesk.sqlite3"
    assert db.exists()
    return cli, start, db


def query(db: Path, sql: str, *params) -> list[tuple]:
    # Read-only, like any other reader of the WAL database; never blocks the writer.
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql, params).fetchall()


def article_count(db: Path) -> int:
    return query(db, "SELECT count(*) FROM news_article")[0][0]


def kill_when(proc: subprocess.Popen, ready, *, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()
    proc.stderr.close()


def assert_whole(db: Path) -> int:
    """Every article present is complete; returns how many there are."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    rows = query(
        db,
        "SELECT a.id, a.external_id, a.headline, a.body, a.body_text, f.digest,"
        " (SELECT count(*) FROM news_article_tags t WHERE t.article_id = a.id)"
        " FROM news_article a LEFT JOIN ingest_contentfingerprint f"
        " ON f.article_id = a.id",
    )
    for pk, external_id, headline, body, body_text, digest, tags in rows:
        n = int(external_id.removeprefix("volume-"))
        assert headline.startswith(f"Story {n}: "), (pk, headline)
        assert body.startswith("<p>") and body.endswith("</p>"), (pk, body[-80:])
        assert len(body_text.split()) == 30, (pk, body_text)
        assert digest, f"article {pk} has no fingerprint: half-written"
        assert tags == 1, f"article {pk} has {tags} tags"
    ids = [r[1] for r in rows]
    assert len(ids) == len(set(ids)), "an item was stored twice"
    return len(rows)


def test_kill_9_during_ingest_loses_nothing_and_duplicates_nothing(server, site):
    cli, start, db = site
    server.bodies["/big.xml"] = make_rss(ITEMS, words=30)
    server.slow.add("/big.xml")
    out = cli(
        "ingest", "add", server.url("/big.xml"), "--category", "world", "--publish"
    )
    assert out.stdout.strip().isdigit()

    # 1. Killed while the feed is still arriving: nothing may be written.
    proc = start("ingest", "run")
    kill_when(proc, server.halfway.is_set)
    assert assert_whole(db) == 0
    server.slow.clear()

    # 2. and 3. Killed twice while items are being written.
    for at_least in (60, 250):
        proc = start("ingest", "run")
        kill_when(proc, lambda n=at_least: article_count(db) >= n)
        stored = assert_whole(db)
        assert at_least <= stored < ITEMS, stored

    # The feed was never marked done, so the next plain run fetches it in full
    # and brings in exactly what is missing.
    result = cli("ingest", "run")
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["status"] == "ok", line
    assert line["created"] == ITEMS - stored
    assert line["unchanged"] == stored
    assert assert_whole(db) == ITEMS
    # A further run changes nothing (and a 304 would too).
    cli("ingest", "run", "--all")
    assert assert_whole(db) == ITEMS
    # The search index (FTS5, written by triggers in the same transactions)
    # finds every article once.
    found = query(
        db, "SELECT count(*) FROM news_article_fts WHERE news_article_fts MATCH 'story'"
    )
    assert found == [(ITEMS,)]


def test_a_real_ingest_run_goes_past_a_hostile_feed(server, site):
    cli, _, db = site
    server.bodies["/nested.json"] = gzip.decompress(
        (TESTDATA / "ninjs_nested.json.gz").read_bytes()
    )
    server.bodies["/good.xml"] = (TESTDATA / "rss_latin1.xml").read_bytes()
    cli("ingest", "add", server.url("/nested.json"), "--category", "world")
    cli("ingest", "add", server.url("/good.xml"), "--category", "world")
    result = cli("ingest", "run")  # exit status 0 is asserted by cli()
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["error", "ok"]  # hostile first
    assert lines[0]["error"] == "not a usable JSON document: nested too deeply"
    assert article_count(db) == 2
    # Every later run polls past it too (--all: backing off is not what saves it).
    again = cli("ingest", "run", "--all")
    statuses = {
        line["feed"]: line["status"]
        for line in map(json.loads, again.stdout.splitlines())
    }
    assert statuses == {lines[0]["feed"]: "error", lines[1]["feed"]: "ok"}

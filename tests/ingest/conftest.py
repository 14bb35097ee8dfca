from __future__ import annotations

import gzip
import hashlib
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk.news import actions as news_actions

TESTDATA = Path(__file__).parent / "testdata"
VOCABULARY = [
    "council",
    "harbour",
    "river",
    "market",
    "school",
    "bridge",
    "station",
    "rail",
    "storm",
    "court",
    "minister",
    "budget",
    "league",
    "museum",
    "hospital",
    "farm",
    "factory",
    "energy",
    "water",
    "road",
]


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml"
    status: int = 200
    headers: dict = field(default_factory=dict)


class FeedServer:
    """Serves feeds on 127.0.0.1 with ETag/304, gzip and redirects; logs requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, **dict(self.headers)})
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = '"' + hashlib.md5(route.body).hexdigest() + '"'  # noqa: S324
                if route.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = route.body
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if route.status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Content-Type", route.content_type)
                    if "gzip" in self.headers.get("Accept-Encoding", ""):
                        body = gzip.compress(body)
                        self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def serve(self, path: str, body: bytes | str, **kwargs) -> str:
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = Route(body, **kwargs)
        return self.url(path)

    def serve_file(self, path: str, name: str, **kwargs) -> str:
        return self.serve(path, (TESTDATA / name).read_bytes(), **kwargs)


@pytest.fixture(scope="session")
def _feed_server():
    server = FeedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()


@pytest.fixture
def feed_server(_feed_server):
    _feed_server.routes.clear()
    _feed_server.requests.clear()
    return _feed_server


@pytest.fixture
def ingest_settings(settings):
    settings.NEWSDESK_INGEST_ALLOW_PRIVATE = True
    settings.NEWSDESK_INGEST_HOST_INTERVAL = 0
    settings.NEWSDESK_INGEST_DUPLICATES = ""
    return settings


@pytest.fixture
def world(db):
    return news_actions.get_or_create_category_path([("World", "world")])


@pytest.fixture
def sections(world):
    return {
        "world": world,
        "politics": news_actions.get_or_create_category_path(
            [("Politics", "politics")]
        ),
        "science": news_actions.get_or_create_category_path(
            [("Science", "science"), ("Space", "space")]
        ),
    }


def make_rss(n: int, *, words: int = 60, offset: int = 0) -> bytes:
    """An RSS 2.0 feed of `n` distinct items (for volume tests and the benchmark)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Volume</title><link>https://volume.example/</link>"
        "<description>Many items</description>"
    ]
    for i in range(offset, offset + n):
        rng = random.Random(i)
        text = " ".join(
            rng.choice(VOCABULARY) + str(rng.randrange(500)) for _ in range(words)
        )
        parts.append(
            f"<item><title>Story {i}: {VOCABULARY[i % len(VOCABULARY)]} news</title>"
            f"<link>https://volume.example/story/{i}</link><guid>volume-{i}</guid>"
            f"<pubDate>Fri, 27 Nov 2026 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:"
            f"{i % 60:02d} GMT</pubDate>"
            f"<category>Category {i % 5}</category>"
            f"<description>&lt;p&gt;{text}&lt;/p&gt;</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()

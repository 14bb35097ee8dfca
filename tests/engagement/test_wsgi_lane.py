"""The beacon lane in newsdesk.wsgi answers like the beacon view, through WSGI."""

from __future__ import annotations

import io

import pytest

from newsdesk.engagement import selectors
from newsdesk.engagement.readers import COOKIE_NAME
from tests.wsgi_client import run_wsgi

from .conftest import CHROME, reader_cookie

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection")]


def call(path, *, method="POST", cookie="", host="127.0.0.1", ua=CHROME):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": host,
        "SERVER_PORT": "80", "HTTP_HOST": host, "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http", "HTTP_USER_AGENT": ua, "CONTENT_LENGTH": "0",
    }  # fmt: skip
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return run_wsgi(environ)


def test_beacon_lane_counts_and_sets_the_reader_cookie(counter, article):
    status, headers, body = call(f"/engagement/beacon/{article.pk}")
    assert status.startswith("204") and body == b""
    assert ("Cache-Control", "no-store, max-age=0") in headers
    cookies = [v for k, v in headers if k == "Set-Cookie"]
    assert any(v.startswith(f"{COOKIE_NAME}=") for v in cookies)
    counter.flush()
    assert selectors.view_count(article.pk) == 1


def test_beacon_lane_applies_the_same_rules(counter, article):
    cookie = f"{COOKIE_NAME}={reader_cookie()}"
    call(f"/engagement/beacon/{article.pk}", cookie=cookie)
    call(f"/engagement/beacon/{article.pk}", cookie=cookie)  # a reload
    call(f"/engagement/beacon/{article.pk}", ua="Googlebot/2.1")
    counter.flush()
    assert selectors.view_count(article.pk) == 1


def test_unusual_requests_take_the_full_stack(counter, article):
    # A bad Host is refused by Django (400), not counted by the lane.
    status, _, _ = call(f"/engagement/beacon/{article.pk}", host="evil.example")
    assert status.startswith("400")
    status, _, _ = call(f"/engagement/beacon/{article.pk}", method="GET")
    assert status.startswith("405")
    counter.flush()
    assert selectors.view_count(article.pk) == 0

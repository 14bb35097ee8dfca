"""Ids no article can have, at the edge and in the writers behind it.

One beacon for /engagement/pixel/9223372036854775808.gif used to put a row in
the view buffer that made every later flush of that process fail, forever.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client

from newsdesk.discovery.models import ReadingHistory
from newsdesk.discovery.recommend.actions import ReadBuffer
from newsdesk.engagement import selectors
from newsdesk.engagement.counters.store import now_ts
from newsdesk.engagement.readers import COOKIE_NAME
from newsdesk.wsgi import application

from .conftest import CHROME, reader_cookie

pytestmark = pytest.mark.django_db

IMPOSSIBLE = [
    "9223372036854775808",  # 2**63: one beyond the databases' integers
    "18446744073709551616",
    "9" * 40,
    "0",
]


def counted_beacon(client: Client, article) -> None:
    client.cookies[COOKIE_NAME] = reader_cookie()
    response = client.post(f"/engagement/beacon/{article.pk}", HTTP_USER_AGENT=CHROME)
    assert response.status_code == 204


@pytest.mark.parametrize("pk", IMPOSSIBLE)
def test_pixel_and_beacon_for_an_impossible_id_are_404_and_count_nothing(
    counter, article, pk
):
    client = Client()
    client.cookies[COOKIE_NAME] = reader_cookie()
    assert (
        client.get(f"/engagement/pixel/{pk}.gif", HTTP_USER_AGENT=CHROME).status_code
        == 404
    )
    assert (
        client.post(f"/engagement/beacon/{pk}", HTTP_USER_AGENT=CHROME).status_code
        == 404
    )
    assert counter.pending() == 0
    # The writer is unharmed: the next reader counts.
    counted_beacon(Client(), article)
    assert counter.flush() == 1
    assert selectors.view_count(article.pk) == 1


@pytest.mark.parametrize(
    "path", ["-1", "1e3", "0x10", "%F0%9F%98%80", "1.5", "9" * 5000]
)
def test_garbage_ids_are_not_counted(counter, path):
    # No beacon URL matches them: the site's usual answer to an unknown URL.
    client = Client()
    get = client.get(f"/engagement/pixel/{path}.gif", HTTP_USER_AGENT=CHROME)
    post = client.post(f"/engagement/beacon/{path}", HTTP_USER_AGENT=CHROME)
    assert get.status_code in (301, 404) and post.status_code in (301, 404)
    assert counter.pending() == 0


@pytest.mark.parametrize("pk", IMPOSSIBLE)
def test_state_and_react_for_an_impossible_id_are_404(counter, pk):
    client = Client()
    assert client.get(f"/engagement/state/{pk}").status_code == 404
    assert client.post(f"/engagement/react/{pk}", {"kind": "good"}).status_code == 404


def wsgi_post(path: str) -> str:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http", "HTTP_USER_AGENT": CHROME, "CONTENT_LENGTH": "0",
        "HTTP_COOKIE": f"{COOKIE_NAME}={reader_cookie()}",
    }  # fmt: skip
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    b"".join(application(environ, start_response))
    return seen["status"]


@pytest.mark.parametrize("pk", IMPOSSIBLE)
@pytest.mark.usefixtures("keep_test_connection")
def test_the_wsgi_beacon_lane_refuses_impossible_ids_too(counter, article, pk):
    assert wsgi_post(f"/engagement/beacon/{pk}").startswith("404")
    assert counter.pending() == 0
    assert wsgi_post(f"/engagement/beacon/{article.pk}").startswith("204")
    assert counter.flush() == 1


def test_unknown_article_in_range_is_not_counted_and_harms_nothing(counter, article):
    client = Client()
    client.cookies[COOKIE_NAME] = reader_cookie()
    unknown = 2**63 - 1  # the largest id there can be; no such article
    assert (
        client.get(
            f"/engagement/pixel/{unknown}.gif", HTTP_USER_AGENT=CHROME
        ).status_code
        == 200
    )
    counted_beacon(Client(), article)
    assert counter.flush() == 1
    assert selectors.view_count(article.pk) == 1


def test_reading_history_writer_drops_a_bad_row_and_goes_on(make_article, caplog):
    first, second = make_article(), make_article()
    buffer = ReadBuffer(autostart=False)
    t = now_ts()
    buffer.add((1, first.pk, t))
    buffer.add((2, 2**63, t))  # an article id beyond the database's integers
    buffer.add((2**70, first.pk, t))  # a reader key beyond them
    buffer.add((3, "garbage", t))  # type: ignore[arg-type]
    buffer.add((4, second.pk, t))
    assert buffer.flush() == 2
    assert buffer.pending() == 0
    assert "dropped" in caplog.text
    assert set(ReadingHistory.objects.values_list("reader", "article_id")) == {
        (1, first.pk),
        (4, second.pk),
    }
    buffer.add((5, second.pk, t))
    assert buffer.flush() == 1
    assert buffer.flush() == 0


def test_reading_history_writer_flushes_a_huge_batch(make_article, low_parameter_limit):
    article = make_article()
    buffer = ReadBuffer(autostart=False)
    t = now_ts()
    for i in range(5_000):  # distinct readers and unknown articles
        buffer.add((i, 10**9 + i, t))
    buffer.add((1, article.pk, t))
    assert buffer.flush() == 1
    assert ReadingHistory.objects.count() == 1

"""The per-address cap on counted views (NEWSDESK_VIEW_IP_CAP), through HTTP.

Reader cookies are not signed: a client inventing a fresh cookie (or a fresh
User-Agent, without cookies) for every beacon used to be a new reader, and a
new view, every time.
"""

from __future__ import annotations

import pytest
from django.test import Client

from newsdesk.engagement import selectors
from newsdesk.engagement.models import IpQuota, RecentReader
from newsdesk.engagement.readers import COOKIE_NAME

from .conftest import CHROME, reader_cookie

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cap(settings):
    settings.NEWSDESK_VIEW_IP_CAP = 20
    settings.NEWSDESK_PROXY_HOPS = 0


_client = Client()  # one handler: building one per beacon dominated the run


def send(article, *, cookie=True, ua=CHROME, **meta) -> None:
    """A beacon from a new reader: a fresh cookie, or none at all."""
    _client.cookies.clear()
    if cookie:
        _client.cookies[COOKIE_NAME] = reader_cookie()
    response = _client.post(
        f"/engagement/beacon/{article.pk}", HTTP_USER_AGENT=ua, **meta
    )
    assert response.status_code == 204


def views(counter, article) -> int:
    counter.flush()
    return selectors.view_count(article.pk)


def test_fresh_cookies_from_one_address_count_at_most_the_cap(counter, article):
    for _ in range(500):
        send(article, REMOTE_ADDR="203.0.113.5")
    assert views(counter, article) == 20


def test_changed_user_agents_from_one_address_count_at_most_the_cap(counter, article):
    for i in range(100):
        send(article, cookie=False, ua=f"{CHROME} v{i}", REMOTE_ADDR="203.0.113.5")
    assert views(counter, article) == 20


def test_distinct_addresses_all_count(counter, article):
    for i in range(120):
        send(article, REMOTE_ADDR=f"198.51.{i // 100}.{i % 100}")
    assert views(counter, article) == 120


def test_an_address_over_the_cap_does_not_stop_others(counter, article):
    for _ in range(40):
        send(article, REMOTE_ADDR="203.0.113.5")
    send(article, REMOTE_ADDR="203.0.113.6")
    assert views(counter, article) == 21


def test_ipv6_is_capped_per_64_prefix(counter, article):
    for i in range(60):  # one subscriber rotating addresses in their /64
        send(article, REMOTE_ADDR=f"2001:db8:0:1::{i + 1:x}")
    for i in range(30):  # thirty subscribers
        send(article, REMOTE_ADDR=f"2001:db8:0:{i + 100:x}::1")
    assert views(counter, article) == 20 + 30


def test_behind_a_proxy_the_cap_is_per_client_not_per_proxy(counter, article, settings):
    settings.NEWSDESK_PROXY_HOPS = 1
    for i in range(60):  # sixty clients, one proxy
        send(article, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    assert views(counter, article) == 60
    for i in range(60):  # one client forging the left of X-Forwarded-For
        send(
            article,
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9",
        )
    assert views(counter, article) == 60 + 20


def test_the_cap_is_off_at_zero(counter, article, settings):
    settings.NEWSDESK_VIEW_IP_CAP = 0
    for _ in range(50):
        send(article, REMOTE_ADDR="203.0.113.5")
    assert views(counter, article) == 50


def test_addresses_are_stored_only_as_keyed_hashes(counter, article):
    send(article, REMOTE_ADDR="203.0.113.77")
    counter.flush()
    assert IpQuota.objects.count() == 1
    stored = [
        str(v)
        for model in (IpQuota, RecentReader)
        for row in model.objects.values_list()
        for v in row
    ]
    assert not any("203.0.113.77" in v or "2030113077" in v for v in stored)

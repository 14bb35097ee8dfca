"""Counting views: who counts, how often, and that cached pages still count."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.test import Client

from newsdesk.engagement import selectors
from newsdesk.engagement.counters import Hit
from newsdesk.engagement.counters.store import now_ts, write_hits
from newsdesk.engagement.hooks import reactions_context, views_context
from newsdesk.engagement.models import RecentReader, ViewBucket
from newsdesk.engagement.readers import COOKIE_NAME
from newsdesk.news.models import Article

from .conftest import CHROME, reader_cookie

pytestmark = pytest.mark.django_db


def beacon(client, article, *, cookie=None, method="post", **headers):
    if cookie:
        client.cookies[COOKIE_NAME] = cookie
    url = f"/engagement/beacon/{article.pk}"
    if method != "post":
        url = f"/engagement/pixel/{article.pk}.gif"
    headers.setdefault("HTTP_USER_AGENT", CHROME)
    return getattr(client, method)(url, **headers)


def views(counter, article) -> int:
    counter.flush()
    return selectors.view_count(article.pk)


def test_new_reader_counts_once(counter, article):
    response = beacon(Client(), article, cookie=reader_cookie())
    assert response.status_code == 204
    assert "no-store" in response["Cache-Control"]
    assert views(counter, article) == 1


def test_same_reader_within_window_counts_once(counter, article):
    client, cookie = Client(), reader_cookie()
    for _ in range(3):
        beacon(client, article, cookie=cookie)
    assert views(counter, article) == 1
    beacon(client, article, cookie=cookie)
    assert views(counter, article) == 1
    beacon(Client(), article, cookie=reader_cookie())
    assert views(counter, article) == 2


def test_same_reader_counts_again_after_window(counter, article, settings):
    settings.NEWSDESK_VIEW_WINDOW_MINUTES = 30
    t = now_ts()
    write_hits([Hit(article.pk, 7, t - 31 * 60)])
    write_hits([Hit(article.pk, 7, t - 10 * 60)])  # within 30 min of the first
    assert selectors.view_count(article.pk) == 1
    write_hits([Hit(article.pk, 7, t)])  # 31 min after the counted view
    assert selectors.view_count(article.pk) == 2


def test_cookieless_reader_gets_a_cookie_and_is_not_counted_twice(counter, article):
    client = Client()
    first = beacon(client, article)
    cookie = first.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    beacon(client, article)  # the test client sends the new cookie back
    beacon(Client(), article)  # same IP + UA, cookies refused: same reader
    assert views(counter, article) == 1


def test_raw_ip_is_never_stored(counter, article):
    beacon(Client(), article, REMOTE_ADDR="203.0.113.77")
    counter.flush()
    stored = [str(v) for row in RecentReader.objects.values_list() for v in row]
    assert not any("203.0.113.77" in v for v in stored)


@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "curl/8.0.1",
        "",
    ],
)
def test_crawlers_and_link_previews_do_not_count(counter, article, ua):
    response = beacon(Client(), article, cookie=reader_cookie(), HTTP_USER_AGENT=ua)
    assert response.status_code == 204
    assert views(counter, article) == 0


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
        {"HTTP_PURPOSE": "prefetch"},
        {"HTTP_X_MOZ": "prefetch"},
    ],
)
def test_prefetch_and_prerender_do_not_count(counter, article, header):
    beacon(Client(), article, cookie=reader_cookie(), **header)
    beacon(Client(), article, cookie=reader_cookie(), method="get", **header)
    assert views(counter, article) == 0


def test_head_does_not_count(counter, article):
    response = beacon(Client(), article, cookie=reader_cookie(), method="head")
    assert response.status_code == 200
    assert views(counter, article) == 0


def test_no_js_pixel_counts(counter, article):
    response = beacon(Client(), article, cookie=reader_cookie(), method="get")
    assert response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    assert views(counter, article) == 1


def test_previews_and_unpublished_articles_do_not_count(counter, make_article):
    draft = make_article(status=Article.Status.DRAFT)
    live = make_article()
    beacon(Client(), draft, cookie=reader_cookie())
    beacon(Client(), live, cookie=reader_cookie(), HTTP_REFERER="/news/1/preview/")
    assert views(counter, draft) == 0
    assert views(counter, live) == 0


def test_logged_in_staff_do_not_count_unless_configured(counter, article, settings):
    staff = get_user_model().objects.create_user("ed", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    beacon(client, article, cookie=reader_cookie())
    assert views(counter, article) == 0
    settings.NEWSDESK_COUNT_STAFF = True
    beacon(client, article, cookie=reader_cookie())
    assert views(counter, article) == 1


def test_views_go_to_hourly_buckets_not_rows_per_hit(counter, article):
    for _ in range(5):
        beacon(Client(), article, cookie=reader_cookie())
    counter.flush()
    assert list(ViewBucket.objects.values_list("article_id", "views")) == [
        (article.pk, 5)
    ]


def test_cached_article_page_still_counts_its_views(counter, article):
    html = Client().get(article.get_absolute_url()).content.decode()
    # Rendering counts nothing: a cache in front of the site serves this HTML
    # again and again without reaching the server.
    assert views(counter, article) == 0
    beacon_url = re.search(r'data-beacon="([^"]+)"', html).group(1)
    pixel_url = re.search(r'<noscript><img[^>]+src="([^"]+)"', html).group(1)
    script_urls = re.findall(r'<script src="([^"]+)"', html)
    assert any(u.endswith("engagement/engagement.js") for u in script_urls)
    for _ in range(4):
        client = Client()
        client.cookies[COOKIE_NAME] = reader_cookie()
        assert client.post(beacon_url, HTTP_USER_AGENT=CHROME).status_code == 204
    no_js = Client()
    no_js.cookies[COOKIE_NAME] = reader_cookie()
    assert no_js.get(pixel_url, HTTP_USER_AGENT=CHROME).status_code == 200
    assert views(counter, article) == 5
    html = Client().get(article.get_absolute_url()).content.decode()
    assert 'data-views="5"' in html


def test_page_extras_cost_two_queries(counter, article, rf, django_assert_num_queries):
    request = rf.get(article.get_absolute_url())
    with django_assert_num_queries(2):
        context = {
            **views_context(request, article),
            **reactions_context(request, article),
        }
    assert context["views"] == 0
    assert context["engagement"]["counting"]


def test_beacon_for_unknown_article_is_harmless(counter, db):
    Client().post("/engagement/beacon/999999", HTTP_USER_AGENT=CHROME)
    assert counter.flush() == 0


def test_beacon_rejects_get(article):
    assert Client().get(f"/engagement/beacon/{article.pk}").status_code == 405


def test_failed_flush_keeps_the_hits(counter, article, monkeypatch):
    from newsdesk.engagement.counters import store

    beacon(Client(), article, cookie=reader_cookie())

    def broken(hits):
        # What SQLite raises when another writer holds the lock too long.
        raise OperationalError("database is locked")

    monkeypatch.setattr(store, "write_hits", broken)
    with pytest.raises(OperationalError):
        counter.flush()
    assert counter.pending() == 1
    monkeypatch.undo()
    assert views(counter, article) == 1

"""Most read: windows, ties, exclusions, fallback, trending, caching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.engagement import selectors
from newsdesk.engagement.models import ViewBucket
from newsdesk.engagement.providers import most_read as provider
from newsdesk.news.actions import do_save_category, do_withdraw
from newsdesk.news.blocks import page_blocks
from newsdesk.news.models import Category

pytestmark = pytest.mark.django_db


def views(article, n, *, hours_ago=0):
    hour = (timezone.now() - timedelta(hours=hours_ago)).replace(
        minute=0, second=0, microsecond=0
    )
    ViewBucket.objects.create(article=article, hour=hour, views=n)


def ranked(**kw):
    return selectors.compute_ranking(**kw)


def test_windows_count_only_their_buckets(make_article):
    a, b, c, d = (make_article() for _ in range(4))
    views(a, 5, hours_ago=0)
    views(b, 9, hours_ago=5)
    views(c, 20, hours_ago=3 * 24)
    views(d, 50, hours_ago=20 * 24)
    assert ranked(window="1h") == [a.pk]
    assert ranked(window="24h") == [b.pk, a.pk]
    assert ranked(window="7d") == [c.pk, b.pk, a.pk]
    assert ranked(window="30d") == [d.pk, c.pk, b.pk, a.pk]


def test_ties_go_to_the_newer_article(make_article):
    old, new = make_article(hours_ago=10), make_article(hours_ago=2)
    views(old, 4)
    views(new, 4)
    assert ranked() == [new.pk, old.pk]


def test_per_category_includes_subsections(make_article, section):
    sub = do_save_category(Category(name="Europe", slug="europe", parent=section))
    other = do_save_category(Category(name="Sport", slug="sport"))
    a, b, c = make_article(), make_article(category=sub), make_article(category=other)
    for art, n in ((a, 1), (b, 2), (c, 3)):
        views(art, n)
    assert ranked(category_path="world") == [b.pk, a.pk]
    assert ranked(category_path="world/europe") == [b.pk]
    assert ranked() == [c.pk, b.pk, a.pk]


def test_withdrawn_and_current_articles_are_excluded(make_article, rf):
    a, b, c = make_article(), make_article(), make_article()
    views(a, 30)
    views(b, 20)
    views(c, 10)
    do_withdraw(b)
    items = provider(request=rf.get("/"), article=a, exclude=set(), limit=5)
    assert [x.pk for x in items] == [c.pk]


def test_article_page_block_has_no_duplicates_nor_current_article(
    make_article, settings
):
    settings.NEWSDESK_RELATED_PROVIDER = "off"  # the built-in: newest in the section
    sport = do_save_category(Category(name="Sport", slug="sport"))
    current = make_article()
    others = [make_article(category=sport) for _ in range(3)]
    views(current, 99)
    for i, art in enumerate(others):
        views(art, 10 - i)
    html = Client().get(current.get_absolute_url()).content.decode()
    block = html.split('data-block="most-read"')[1].split("</section>")[0]
    assert "Most read (24 h)" in block
    assert current.get_absolute_url() not in block
    for art in others:
        assert block.count(art.get_absolute_url()) == 1
        assert html.count(f'href="{art.get_absolute_url()}"') == 1


def test_block_falls_back_to_seven_days_when_a_day_is_thin(make_article, rf, settings):
    settings.NEWSDESK_BLOCK_SIZE = 3
    arts = [make_article() for _ in range(4)]
    views(arts[0], 5)
    for art in arts[1:]:
        views(art, 3, hours_ago=48)
    blocks = page_blocks(request=rf.get("/"), article=None, keys=("most-read",))
    assert blocks[0].title == "Most read (7 d)"
    # 5 views in 24 h, then the ties of 3 newest first.
    assert [a.pk for a in blocks[0].articles] == [arts[0].pk, arts[3].pk, arts[2].pk]
    views(arts[1], 1)
    views(arts[2], 1)
    from django.core.cache import cache

    cache.clear()
    blocks = page_blocks(request=rf.get("/"), article=None, keys=("most-read",))
    assert blocks[0].title == "Most read (24 h)"


def test_trending_prefers_fast_new_stories(make_article, settings):
    old, new = make_article(hours_ago=48), make_article(hours_ago=1)
    views(old, 100)
    views(new, 20)
    assert ranked(order="views") == [old.pk, new.pk]
    assert ranked(order="trending") == [new.pk, old.pk]


def test_ranking_is_cached_and_not_recomputed_per_request(
    make_article, django_assert_num_queries, monkeypatch
):
    a = make_article()
    views(a, 1)
    assert selectors.ranking() == [a.pk]
    b = make_article()
    views(b, 9)
    with django_assert_num_queries(0):
        assert selectors.ranking() == [a.pk]  # within the minute: cached
    real = selectors.time.time
    monkeypatch.setattr(selectors.time, "time", lambda: real() + 61)
    assert selectors.ranking() == [b.pk, a.pk]


def test_most_read_page(make_article):
    a = make_article()
    views(a, 3, hours_ago=30)
    response = Client().get("/engagement/most-read/?window=7d&section=world")
    assert response.status_code == 200
    assert a.headline in response.content.decode()
    assert Client().get("/engagement/most-read/?window=2y").status_code == 404
    empty = Client().get("/engagement/most-read/?window=1h").content.decode()
    assert a.headline not in empty

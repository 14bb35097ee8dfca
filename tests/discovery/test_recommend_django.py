"""Personal recommendations on the site: history, privacy, the fragment, the page."""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from newsdesk.discovery.models import ReadingHistory
from newsdesk.discovery.recommend import actions as recommend_actions
from newsdesk.discovery.recommend import adapters as recommend_adapters
from newsdesk.discovery.recommend import selectors as recommend_selectors
from newsdesk.discovery.recommend.actions import ReadBuffer, do_record_reads
from newsdesk.discovery.recommend.adapters import EngineRecommender
from newsdesk.engagement.counters import set_counter
from newsdesk.engagement.counters.buffered import BufferedCounter
from newsdesk.engagement.readers import COOKIE_NAME, cookie_key
from newsdesk.news import caching
from newsdesk.news.actions import do_save_category
from newsdesk.news.models import Article, Category

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
_cookies = itertools.count()
TOPICS = {
    "Sport": ["football cup final goal", "tennis open final set", "cycling tour stage"],
    "Business": ["bank rates inflation", "stock market shares", "oil prices trade"],
    "Science": ["telescope galaxy stars", "vaccine trial results", "climate ice sheet"],
}


def new_cookie() -> str:
    return f"discoveryreader{next(_cookies):010d}xxxx"


@pytest.fixture(autouse=True)
def _isolated(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS = 0
    settings.NEWSDESK_RECOMMEND_BACKGROUND_LOAD = False
    settings.NEWSDESK_BLOCK_SIZE = 4
    recommend_selectors.reset_recommender()
    old_buffer = recommend_actions.set_read_buffer(ReadBuffer(autostart=False))
    old_counter = set_counter(BufferedCounter(autostart=False))
    yield
    set_counter(old_counter)
    recommend_actions.set_read_buffer(old_buffer)
    recommend_selectors.reset_recommender()


def flush() -> None:
    from newsdesk.engagement.counters import get_counter

    get_counter().flush()
    recommend_actions.get_read_buffer().flush()


@pytest.fixture
def site(db):
    """Nine articles in three sections, published over the last hours."""
    articles = {}
    n = itertools.count()
    for name, headlines in TOPICS.items():
        category = do_save_category(Category(name=name, slug=name.lower()))
        for headline in headlines:
            i = next(n)
            articles[headline] = Article.objects.create(
                headline=headline.capitalize(),
                slug=f"story-{i}",
                standfirst=f"All about {headline}.",
                body="<p>Text.</p>",
                category=category,
                status=Article.Status.PUBLISHED,
                published_at=timezone.now() - timedelta(hours=1 + i),
            )
    return articles


def beacon(client, article, **headers):
    headers.setdefault("HTTP_USER_AGENT", CHROME)
    return client.post(f"/engagement/beacon/{article.pk}", **headers)


def reader_client(cookie: str | None = None) -> tuple[Client, str]:
    client = Client()
    cookie = cookie or new_cookie()
    client.cookies[COOKIE_NAME] = cookie
    return client, cookie


def history_of(cookie: str) -> list[int]:
    return list(
        ReadingHistory.objects.filter(reader=cookie_key(cookie))
        .order_by("read_at", "id")
        .values_list("article_id", flat=True)
    )


def fragment_ids(response) -> list[int]:
    return [
        int(i) for i in re.findall(r'href="/news/(\d+)/', response.content.decode())
    ]


# ------------------------------------------------------------------ history


def test_counted_view_writes_history(site):
    client, cookie = reader_client()
    article = site["football cup final goal"]
    assert beacon(client, article).status_code == 204
    assert history_of(cookie) == []  # buffered, like the view itself
    flush()
    assert history_of(cookie) == [article.pk]


def test_cookieless_first_view_belongs_to_the_new_cookie(site):
    client = Client()
    response = beacon(client, site["stock market shares"])
    flush()
    issued = response.cookies[COOKIE_NAME].value
    assert history_of(issued) == [site["stock market shares"].pk]


def test_reload_within_the_window_is_one_read(site, settings):
    settings.NEWSDESK_VIEW_WINDOW_MINUTES = 30
    article = site["tennis open final set"]
    t = int(timezone.now().timestamp())
    assert do_record_reads([(1, article.pk, t - 600)]) == 1
    assert do_record_reads([(1, article.pk, t)]) == 0
    assert do_record_reads([(1, article.pk, t + 1800)]) == 1
    row = ReadingHistory.objects.get(reader=1)
    assert row.read_at == datetime.fromtimestamp(t + 1800, tz=UTC)


def test_history_is_capped_per_reader(site, settings):
    settings.NEWSDESK_READING_HISTORY_SIZE = 3
    articles = list(site.values())
    t = int(timezone.now().timestamp())
    do_record_reads([(1, a.pk, t - 100 + i) for i, a in enumerate(articles[:5])])
    do_record_reads([(2, articles[0].pk, t)])
    kept = ReadingHistory.objects.filter(reader=1).values_list("article_id", flat=True)
    assert sorted(kept) == sorted(a.pk for a in articles[2:5])
    assert ReadingHistory.objects.filter(reader=2).count() == 1


def test_history_expires(site, settings):
    settings.NEWSDESK_READING_HISTORY_DAYS = 90
    old, recent = site["oil prices trade"], site["bank rates inflation"]
    now = timezone.now()
    ReadingHistory.objects.create(reader=5, article=old, read_at=now - timedelta(91))
    ReadingHistory.objects.create(reader=5, article=recent, read_at=now - timedelta(89))
    # Expired reads are never used, even before they are deleted...
    assert [r.article_id for r in recommend_selectors.reading_history(5, now=now)] == [
        recent.pk
    ]
    # ...and deleted by the writer's periodic prune.
    assert recommend_actions.do_prune_history(now=now) == 1
    assert list(ReadingHistory.objects.values_list("article_id", flat=True)) == [
        recent.pk
    ]


def test_reads_of_articles_not_live_are_dropped(site):
    article = site["cycling tour stage"]
    article.status = Article.Status.WITHDRAWN
    article.save()
    assert do_record_reads([(1, article.pk, int(timezone.now().timestamp()))]) == 0


# ------------------------------------------------------------------ privacy


def test_gpc_means_no_history(site):
    client, cookie = reader_client()
    beacon(client, site["football cup final goal"], HTTP_SEC_GPC="1")
    flush()
    assert history_of(cookie) == []


def test_gpc_reader_may_opt_in(site):
    client, cookie = reader_client()
    client.cookies[recommend_selectors.PREFERENCE_COOKIE] = "on"
    beacon(client, site["football cup final goal"], HTTP_SEC_GPC="1")
    flush()
    assert history_of(cookie) == [site["football cup final goal"].pk]


def test_turning_off_stops_recording_and_personal_list(site):
    client, cookie = reader_client()
    first, second = site["football cup final goal"], site["tennis open final set"]
    beacon(client, first)
    flush()
    page = client.get("/reader/")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    assert (
        csrf_client.post("/reader/personalise", {"personalise": "off"}).status_code
        == 403
    )
    response = csrf_client.post(
        "/reader/personalise",
        {"personalise": "off", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert csrf_client.cookies[recommend_selectors.PREFERENCE_COOKIE].value == "off"
    beacon(csrf_client, second)
    flush()
    assert history_of(cookie) == [first.pk]
    assert csrf_client.get("/discovery/recommended").status_code == 204
    assert (
        "Personal recommendations are off"
        in csrf_client.get("/reader/?done=off").content.decode()
    )


def test_gpc_reader_gets_no_personal_list(site):
    client, cookie = reader_client()
    do_record_reads([(cookie_key(cookie), site["bank rates inflation"].pk, 1)])
    do_record_reads(
        [
            (
                cookie_key(cookie),
                site["bank rates inflation"].pk,
                int(timezone.now().timestamp()),
            )
        ]
    )
    assert client.get("/discovery/recommended").status_code == 200
    assert client.get("/discovery/recommended", HTTP_SEC_GPC="1").status_code == 204


def test_reader_page_lists_and_clears_history(site):
    client, cookie = reader_client()
    client = Client(enforce_csrf_checks=True)
    client.cookies[COOKIE_NAME] = cookie
    article = site["vaccine trial results"]
    beacon(client, article)
    flush()
    page = client.get("/reader/")
    assert page["Cache-Control"] == "private, no-store"
    assert article.headline in page.content.decode()
    token = client.cookies["csrftoken"].value
    assert client.post("/reader/clear").status_code == 403
    assert history_of(cookie) == [article.pk]
    response = client.post("/reader/clear", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert history_of(cookie) == []
    assert article.headline not in client.get("/reader/").content.decode()


def test_clear_also_drops_reads_not_written_yet(site):
    client, cookie = reader_client()
    beacon(client, site["vaccine trial results"])
    recommend_actions.do_clear_history(reader=cookie_key(cookie))
    flush()
    assert history_of(cookie) == []


# ---------------------------------------------------------------- the fragment


def read(cookie: str, *articles: Article) -> None:
    t = int(timezone.now().timestamp()) - 60 * len(articles)
    do_record_reads(
        [(cookie_key(cookie), a.pk, t + 60 * i) for i, a in enumerate(articles)]
    )


def test_fragment_excludes_read_current_withdrawn_and_other_blocks(site):
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"], site["tennis open final set"])
    current = site["stock market shares"]
    shown_elsewhere = site["cycling tour stage"]
    withdrawn = site["telescope galaxy stars"]
    withdrawn.status = Article.Status.WITHDRAWN
    withdrawn.save()
    response = client.get(
        "/discovery/recommended",
        {"article": current.pk, "exclude": f"{shown_elsewhere.pk}"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "Cookie" in response["Vary"]
    ids = fragment_ids(response)
    assert len(ids) == 4  # NEWSDESK_BLOCK_SIZE: the list it replaces is as long
    hidden = {
        site["football cup final goal"].pk,
        site["tennis open final set"].pk,
        current.pk,
        shown_elsewhere.pk,
        withdrawn.pk,
    }
    assert not hidden & set(ids)
    assert len(set(ids)) == len(ids)


def test_fragment_items_say_why(site):
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"])
    html = client.get("/discovery/recommended").content.decode()
    reasons = re.findall(r'<span class="why">([^<]+)</span>', html)
    assert len(reasons) == 4
    assert all(r.strip() for r in reasons)
    assert any(
        r.startswith(("Because you read", "More from", "Popular in", "New in"))
        for r in reasons
    )
    assert 'href="/reader/"' in html  # "Why these? Your reading history"


def test_reason_names_what_the_reader_read(site):
    """Readers of the football final went on to the tennis final: so does ours."""
    football, tennis = site["football cup final goal"], site["tennis open final set"]
    t = int(timezone.now().timestamp()) - 3600
    for reader in range(100, 130):
        do_record_reads([(reader, football.pk, t), (reader, tennis.pk, t + 60)])
    client, cookie = reader_client()
    read(cookie, football)
    html = client.get("/discovery/recommended").content.decode()
    assert re.findall(r'href="/news/(\d+)/', html)[0] == str(tennis.pk)
    assert f"Because you read “{football.headline}”" in html


@pytest.mark.parametrize(
    "query",
    [{"article": "x"}, {"exclude": "1,-2"}, {"exclude": ",".join(["1"] * 101)},
     {"article": "1,2"}, {"exclude": "9" * 30}],
)  # fmt: skip
def test_fragment_validates_ids(site, query):
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"])
    assert client.get("/discovery/recommended", query).status_code == 400


def test_fragment_without_cookie_or_history_keeps_the_page_list(site):
    assert Client().get("/discovery/recommended").status_code == 204
    client, _ = reader_client()
    assert client.get("/discovery/recommended").status_code == 204


def test_fragment_query_count_is_bounded(site, settings, django_assert_max_num_queries):
    client, cookie = reader_client()
    read(cookie, *list(site.values())[:3])
    client.get("/discovery/recommended")  # loads the engine
    settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS = 3600
    # History, list with reasons' sources; nothing else per request.
    with django_assert_max_num_queries(2):
        assert client.get("/discovery/recommended").status_code == 200


# ---------------------------------------------------------------- cached pages


def test_cached_page_carries_no_personal_data(site):
    article = site["bank rates inflation"]
    reader, cookie = reader_client()
    read(cookie, site["football cup final goal"], site["tennis open final set"])
    reader.get("/discovery/recommended")  # the engine is loaded and warm
    stranger = Client()
    mine = reader.get(article.get_absolute_url())
    theirs = stranger.get(article.get_absolute_url())
    assert "public" in mine["Cache-Control"]

    def block(response):
        html = response.content.decode()
        return re.search(
            r'<section[^>]*data-block="recommended".*?</section>', html, re.S
        )[0]

    assert block(mine) == block(theirs)
    assert "Because you read" not in mine.content.decode()
    assert "/static/discovery/recommend.js" in mine.content.decode()
    # The shared list says why too, so the personal one can replace it in place.
    items = len(re.findall(r"<li>", block(mine)))
    assert items >= 1
    assert len(re.findall(r'class="why"', block(mine))) == items


def test_page_uses_builtin_list_until_the_recommender_is_loaded(site):
    article = site["bank rates inflation"]
    html = Client().get(article.get_absolute_url()).content.decode()
    section = re.search(r'data-block="recommended".*?</section>', html, re.S)[0]
    assert len(re.findall(r"<li>", section)) >= 1
    assert 'class="why"' not in section  # the built-in list gives no reasons
    assert not recommend_selectors.get_recommender().loaded()


# ---------------------------------------------------------------- pluggability


class FixedRecommender(EngineRecommender):
    def recommend(self, history, *, now, current, exclude, limit):
        from newsdesk.discovery.engines.recommend import Reason, Recommendation

        ids = Article.objects.exclude(pk__in={current, *exclude}).values_list(
            "pk", flat=True
        )
        return [
            Recommendation(pk, 1.0, Reason("trending", "Picked by hand"))
            for pk in sorted(ids)[:limit]
        ]


def test_recommender_comes_from_settings(site, settings):
    settings.NEWSDESK_RECOMMENDER = f"{__name__}.FixedRecommender"
    recommend_selectors.reset_recommender()
    assert isinstance(recommend_selectors.get_recommender(), FixedRecommender)
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"])
    html = client.get("/discovery/recommended").content.decode()
    assert html.count("Picked by hand") == 4


GROUPS: dict[int, int] = {}


def fixed_groups(ids):
    return {i: GROUPS[i] for i in ids if i in GROUPS}


def test_same_story_siblings_are_not_recommended(site, settings):
    settings.NEWSDESK_DUPLICATE_GROUPS = f"{__name__}.fixed_groups"
    read_one, sibling = site["bank rates inflation"], site["stock market shares"]
    GROUPS.clear()
    GROUPS.update({read_one.pk: 1, sibling.pk: 1})
    client, cookie = reader_client()
    read(cookie, read_one)
    ids = fragment_ids(client.get("/discovery/recommended"))
    assert ids
    assert sibling.pk not in ids
    assert read_one.pk not in ids


def test_engine_learns_reads_written_after_it_loaded(site):
    """Other processes' readers reach this process's engine through the table."""
    football, tennis = site["football cup final goal"], site["tennis open final set"]
    client, cookie = reader_client()
    read(cookie, football)
    client.get("/discovery/recommended")  # loaded, knows no co-reading yet
    assert recommend_selectors.get_recommender().loaded()
    t = int(timezone.now().timestamp()) - 30
    for reader in range(200, 230):
        do_record_reads([(reader, football.pk, t), (reader, tennis.pk, t + 10)])
    html = client.get("/discovery/recommended").content.decode()
    assert re.findall(r'href="/news/(\d+)/', html)[0] == str(tennis.pk)
    assert f"Because you read “{football.headline}”" in html


def test_withdrawn_after_load_is_dropped(site):
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"])
    first = fragment_ids(client.get("/discovery/recommended"))
    gone = Article.objects.get(pk=first[0])
    gone.status = Article.Status.WITHDRAWN
    gone.save()
    assert gone.pk not in fragment_ids(client.get("/discovery/recommended"))
    assert gone.pk in recommend_selectors.get_recommender().engine


def test_an_article_published_on_another_host_reaches_this_engine_at_once(
    site, settings, monkeypatch
):
    settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS = 3600
    monkeypatch.setattr(recommend_adapters, "CLOCK_SECONDS", 0.0)
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"])
    client.get("/discovery/recommended")
    recommender = recommend_selectors.get_recommender()
    assert recommender.loaded()
    # Another host publishes: no signal here, only the row and the change
    # clock in the cache every host shares (news.caching.articles_changed).
    new = Article.objects.create(
        headline="Football cup final replay",
        slug="replay",
        standfirst="All about the football cup final replay.",
        body="<p>Text.</p>",
        category=site["football cup final goal"].category,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(minutes=1),
    )
    client.get("/discovery/recommended")
    assert new.pk not in recommender.engine, "no change announced: no refresh"
    cache.set(caching.CHANGE_CLOCK_KEY, time.time(), None)
    client.get("/discovery/recommended")
    assert new.pk in recommender.engine


def test_fragment_lists_unread_news_while_the_recommender_loads(
    site, settings, monkeypatch
):
    # The page's shared list may hold what this reader read: the fragment
    # replaces it with the newest unread articles, titled for what they are.
    settings.NEWSDESK_RECOMMEND_BACKGROUND_LOAD = True
    started = []
    monkeypatch.setattr(
        EngineRecommender, "start_loading", lambda self: started.append(self)
    )
    client, cookie = reader_client()
    newest = Article.objects.live().first()
    read(cookie, newest)
    response = client.get("/discovery/recommended")
    assert response.status_code == 200
    assert 'data-title="More news"' in response.content.decode()
    ids = fragment_ids(response)
    assert ids and newest.pk not in ids
    assert len(started) == 1


def test_reads_still_in_the_write_buffer_are_not_recommended(site):
    client, cookie = reader_client()
    read(cookie, site["football cup final goal"])
    first = fragment_ids(client.get("/discovery/recommended"))
    assert first
    # Read a moment ago: counted, but not written to the history yet.
    buffer = recommend_actions.get_read_buffer()
    buffer.add((cookie_key(cookie), first[0], int(timezone.now().timestamp())))
    assert buffer.pending_for(cookie_key(cookie))
    assert first[0] not in fragment_ids(client.get("/discovery/recommended"))

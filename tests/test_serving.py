"""Serving: public pages are the same bytes for every reader, carry validators
and cache headers; the page cache answers repeats and is purged precisely."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from django.core.signals import request_started
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.cache import pages
from newsdesk.engagement.models import Reaction
from newsdesk.engagement.readers import COOKIE_NAME, cookie_key
from newsdesk.news import actions
from newsdesk.news.models import Article
from tests.wsgi_client import run_wsgi

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
READER = "servingreader000000000001xx"


@pytest.fixture(autouse=True)
def _clean_default_cache():
    # Most read rankings live in the default cache: none leaks to other tests.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(tree, ap, make_article):
    climate = actions.get_or_create_tags(["Climate"])[0]
    finance = tree["finance"]
    others = [make_article(finance, age_hours=2 + i) for i in range(6)]
    others += [make_article(tree["world"], age_hours=3 + i) for i in range(3)]
    story = make_article(
        finance, headline="Markets rally", source=ap, age_hours=0.5, byline="A. B."
    )
    actions.do_save_article(story, tags=[climate])
    return {"story": story, "tag": climate, "others": others, **tree}


def public_urls(site) -> list[str]:
    story, tag = site["story"], site["tag"]
    return [
        "/",
        "/business/",
        "/business/finance/",
        story.get_absolute_url(),
        f"/tag/{tag.slug}/",
        "/feeds/rss.xml",
        "/feeds/atom.xml",
        "/feeds/section/business/rss.xml",
        f"/feeds/tag/{tag.slug}/atom.xml",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/sitemap-news.xml",
        "/api/items/",
        f"/api/items/{story.pk}/",
    ]


def reader_client() -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=CHROME)
    client.cookies[COOKIE_NAME] = READER
    client.cookies["newsdesk_reacted"] = "1"
    client.cookies["csrftoken"] = "x" * 32
    return client


def test_public_pages_are_the_same_bytes_for_every_reader(site):
    Reaction.objects.create(
        article=site["story"], reader=cookie_key(READER), kind="good"
    )
    anonymous, reader = Client(), reader_client()
    for url in public_urls(site):
        first, second = anonymous.get(url), reader.get(url)
        assert first.status_code == second.status_code == 200, url
        assert first.content == second.content, url
        for response in (first, second):
            assert not response.cookies, (url, response.cookies)
            assert "cookie" not in response.get("Vary", "").lower(), url
            assert b"csrfmiddlewaretoken" not in response.content, url
            control = response["Cache-Control"]
            assert "public" in control and "max-age=" in control, url
            assert "stale-while-revalidate=" in control, url
            assert "stale-if-error=" in control, url
            assert response["ETag"] and response["X-Cache-Tags"], url
    # The reader's own reaction is not in the shared page: no button pressed.
    html = reader.get(site["story"].get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' not in html


def test_validators_answer_304(site):
    client = Client()
    for url in ("/", site["story"].get_absolute_url(), "/feeds/rss.xml"):
        response = client.get(url)
        assert response["Last-Modified"], url
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304 and again.content == b"", url
        assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_pages_name_what_they_show_in_their_tags(site):
    story = site["story"]
    tags = Client().get(story.get_absolute_url())["X-Cache-Tags"].split(",")
    assert f"a{story.pk}" in tags and "article" in tags
    # Its own page alone (what only it shows: its Related list) has a tag too.
    assert f"p{story.pk}" in tags
    # Its blocks list other articles: their edits purge this page too.
    assert any(f"a{a.pk}" in tags for a in site["others"])
    section = Client().get("/business/finance/")["X-Cache-Tags"].split(",")
    assert f"c{site['finance'].pk}" in section and f"a{story.pk}" in section
    assert f"p{story.pk}" not in section
    assert "latest" in Client().get("/")["X-Cache-Tags"].split(",")


# --- reactions without a token in the page -------------------------------------


def post_reaction(client, story, kind="good", **headers):
    return client.post(f"/engagement/react/{story.pk}", {"kind": kind}, **headers)


def test_reactions_work_without_javascript_from_a_shared_page(site):
    story, client = site["story"], reader_client()
    response = post_reaction(client, story, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 303
    landing = response["Location"]
    assert landing == f"/engagement/react/{story.pk}?done=saved"
    page = client.get(landing)
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "Your reaction is saved." in html
    assert re.findall(r'value="(\w+)" aria-pressed="true"', html) == ["good"]
    assert story.get_absolute_url() in html  # back to the article
    # With JavaScript: JSON, the same check.
    response = post_reaction(
        client,
        story,
        "sad",
        HTTP_ORIGIN="http://testserver",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json()["mine"] == "sad"


def test_cross_site_reactions_are_refused(site):
    story, client = site["story"], reader_client()
    evil = "https://evil.example"
    assert post_reaction(client, story, HTTP_ORIGIN=evil).status_code == 403
    assert post_reaction(client, story, HTTP_ORIGIN="null").status_code == 403
    assert post_reaction(client, story).status_code == 403  # no Origin, no Referer
    referer = "https://evil.example/x"
    assert post_reaction(client, story, HTTP_REFERER=referer).status_code == 403
    assert not Reaction.objects.exists()
    ok = post_reaction(client, story, HTTP_REFERER="http://testserver/news/1/x/")
    assert ok.status_code == 303


# --- the page cache --------------------------------------------------------------


@pytest.fixture
def page_cache(settings):
    settings.NEWSDESK_PAGE_CACHE = True
    pages.clear()
    yield
    pages.clear()


def test_a_repeat_is_a_hit_with_no_query(site, page_cache):
    url = site["story"].get_absolute_url()
    client = Client()
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = reader_client().get(url)
    assert len(queries) == 0
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert "Age" in second and "Age" not in first
    assert second["X-Cache-Tags"] == first["X-Cache-Tags"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # Last-Modified is when the stored copy was rendered.
    since = first["Last-Modified"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=since).status_code == 304


def wsgi_get(path, *, cookie="", etag=""):
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http", "QUERY_STRING": "", "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if etag:
        environ["HTTP_IF_NONE_MATCH"] = etag
    status, headers, body = run_wsgi(environ)
    return status, dict(headers), body


def test_hits_are_answered_in_front_of_django(site, page_cache):
    url = site["story"].get_absolute_url()
    started = []

    def count(**kwargs):
        started.append(1)

    request_started.connect(count)
    try:
        status, headers, body = wsgi_get(url)  # a miss: Django renders it
        assert status.startswith("200") and len(started) == 1
        status2, headers2, body2 = wsgi_get(url)
        assert status2.startswith("200") and body2 == body
        assert len(started) == 1, "the hit never reached Django"
        assert wsgi_get(url, etag=headers["ETag"])[0].startswith("304")
        # A session (staff) always takes the full stack.
        wsgi_get(url, cookie="sessionid=abc")
        assert len(started) == 2
    finally:
        request_started.disconnect(count)


def test_editing_an_article_purges_exactly_its_pages(
    site, page_cache, django_capture_on_commit_callbacks
):
    story, client = site["story"], Client()
    world_page = "/world/"
    for url in [*public_urls(site), world_page]:
        assert client.get(url).status_code == 200
    assert "Age" in client.get(world_page)
    story.headline = "Markets rally on a second day"
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_save_article(story)
    for url in public_urls(site):
        response = client.get(url)
        assert "Age" not in response, f"{url} was not purged"
        if url.startswith(("/api/items/", "/sitemap")):
            continue  # ids and dates only, or no noindex wire copy
        assert b"second day" in response.content, url
    # A section that does not list it keeps its cached copy.
    assert "Age" in client.get(world_page)


def test_withdrawing_and_publishing_reach_every_list(
    site, page_cache, make_article, django_capture_on_commit_callbacks
):
    story, client = site["story"], Client()
    url = story.get_absolute_url()
    for u in ("/", "/business/", url, "/feeds/rss.xml"):
        client.get(u)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_withdraw(story)
    assert client.get(url).status_code == 410
    assert story.headline.encode() not in client.get("/business/").content
    assert story.headline.encode() not in client.get("/feeds/rss.xml").content
    with django_capture_on_commit_callbacks(execute=True):
        fresh = make_article(site["finance"], headline="Fresh news", age_hours=0.1)
    assert fresh.pk
    for u in ("/", "/business/", "/business/finance/", "/feeds/rss.xml"):
        assert b"Fresh news" in client.get(u).content, u


def test_a_purge_on_another_process_is_seen_within_the_trust_time(
    site, page_cache, settings
):
    settings.NEWSDESK_PAGE_CACHE_LOCAL_SECONDS = 0.2
    url = site["story"].get_absolute_url()
    client = Client()
    client.get(url)
    assert "Age" in client.get(url)
    # Another process purged: only the shared record exists here.
    pages.shared().set(f"purge:a{site['story'].pk}", time.time(), 60)
    assert "Age" in client.get(url)  # still trusted locally
    time.sleep(0.25)
    assert "Age" not in client.get(url)


def test_sessions_and_private_responses_are_never_stored(site, page_cache):
    url = site["story"].get_absolute_url()
    staff = Client()
    staff.cookies["sessionid"] = "whatever"
    staff.get(url)
    assert "Age" not in Client().get(url)  # the staff render was not stored
    assert "Age" in Client().get(url)
    reader = reader_client()
    reader.get(f"/engagement/state/{site['story'].pk}")
    again = reader.get(f"/engagement/state/{site['story'].pk}")
    assert "Age" not in again and "no-store" in again["Cache-Control"]


def test_stale_pages_are_served_while_one_request_renders(site, page_cache):
    url = "/business/"
    Client().get(url)
    key = next(iter(pages._local))
    entry, _ = pages._local[key]
    now = entry.fresh_until + 1  # expired, within stale-while-revalidate
    assert pages.get(key, now) is None  # this request renders it again
    stale = pages.get(key, now)  # the others meanwhile get the stale copy
    assert stale is not None and stale.rendered == entry.rendered
    assert pages.get(key, entry.stale_until + 1) is None  # too old to serve


def test_article_rows_stay_consistent_after_edits(site):
    # The page cache is off here (as in the other test modules): a safety net
    # that pages are rendered fresh when it is disabled.
    story = site["story"]
    Client().get(story.get_absolute_url())
    Article.objects.filter(pk=story.pk).update(headline="Changed directly")
    assert b"Changed directly" in Client().get(story.get_absolute_url()).content


# --- a cheap cache miss ----------------------------------------------------------


def _grow(tree, make_article, n, *, offset=0):
    """n articles in several sections, each with related links, views, a tag."""
    from newsdesk.discovery.models import RelatedLink
    from newsdesk.engagement.models import ArticleStats, ViewBucket

    topic = actions.get_or_create_tags(["Markets"])
    made = [
        make_article(
            tree["finance"] if i % 3 else tree["world"], age_hours=1 + (offset + i) / 10
        )
        for i in range(n)
    ]
    hour = timezone_now().replace(minute=0, second=0, microsecond=0)
    for i, article in enumerate(made):
        article.tags.set(topic)
        ViewBucket.objects.create(article=article, hour=hour, views=1 + i % 7)
        ArticleStats.objects.create(article=article, views=1 + i % 7)
        others = [a for a in made if a.pk != article.pk][i % 5 : i % 5 + 6]
        RelatedLink.objects.bulk_create(
            RelatedLink(article=article, related=o, rank=r, score=0.5)
            for r, o in enumerate(others, 1)
        )
    return made


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def _queries(client, url) -> int:
    client.get(url)  # steady state: per-process copies loaded
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_article_page_costs_a_fixed_handful_of_queries(tree, make_article, settings):
    from django.core.cache import cache

    settings.NEWSDESK_SHARED_BLOCK_SECONDS = 60.0
    # Recommended from the built-in shared list: the recommender loads in the
    # background, whenever it is ready (then it costs one query more, 8).
    settings.NEWSDESK_RECOMMENDED_PROVIDER = "off"
    first = _grow(tree, make_article, 20)
    story = first[7]
    client = Client()
    before, html = _queries(client, story.get_absolute_url())
    from tests.news.test_pages import blocks_of

    found = blocks_of(html).blocks
    assert all(found[k] for k in ("related", "most-read", "recommended")), found
    # The cap was 8: the story link and Also reported by share the
    # article's cluster row.
    assert before <= 7, before
    _grow(tree, make_article, 40, offset=20)  # three times the content
    cache.clear()  # the Most read ranking is recomputed over it
    from newsdesk.news.blocks import forget_shared_lists

    forget_shared_lists()
    after, _ = _queries(client, story.get_absolute_url())
    assert after == before
    home_before, _ = _queries(client, "/")
    assert home_before <= 8


def test_live_lists_read_the_newest_first_indexes_without_statistics(
    tree, make_article
):
    """A fresh database has no ANALYZE statistics: the newest-first lists must
    still stop at their LIMIT instead of sorting every live article."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans from its own statistics (autovacuum)")
    from django.db.models.functions import Length

    from newsdesk.news import selectors

    _grow(tree, make_article, 12)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM sqlite_stat1")
    plans = {
        "latest": selectors.list_articles()[:20],
        "front pool": selectors.live_articles()
        .defer("body")
        .annotate(text_length=Length("body_text"))[:40],
        "featured lead": selectors.live_articles().filter(featured=True)[:1],
        # A section with sub-sections: its articles are not all fetched and
        # sorted (what the join on the category's path made SQLite do).
        "section": selectors.category_articles(tree["business"])[:20],
    }
    for name, queryset in plans.items():
        plan = queryset.explain()
        assert "TEMP B-TREE" not in plan, (name, plan)
        assert "article_live_order" in plan or "article_lead_order" in plan, plan
    # A section without sub-sections reads its own newest-first index.
    plan = selectors.category_articles(tree["finance"])[:20].explain()
    assert "TEMP B-TREE" not in plan and "article_cat_order" in plan, plan


def test_shared_block_lists_are_asked_once_and_forgotten_on_change(
    tree, make_article, settings, django_capture_on_commit_callbacks
):
    settings.NEWSDESK_SHARED_BLOCK_SECONDS = 60.0
    made = _grow(tree, make_article, 12)
    client = Client()
    home_first, _ = _queries(client, "/")
    first, _ = _queries(client, made[3].get_absolute_url())
    # Another article: the shared lists (Latest, Most read) are not asked again.
    with CaptureQueriesContext(connection) as queries:
        client.get(made[5].get_absolute_url())
    assert len(queries) <= first
    with django_capture_on_commit_callbacks(execute=True):
        fresh = make_article(tree["world"], headline="Just in", age_hours=0)
    assert fresh.pk
    html = client.get(made[5].get_absolute_url()).content.decode()
    assert "Just in" in html  # the Latest list was asked again
    assert "Just in" in client.get("/").content.decode()  # so were the home lists
    # The whole front page (lead, top stories, sections, briefs) is shared too:
    # a repeat asks only what no shared list holds.
    assert home_first <= 1
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) <= 1, [q["sql"][:80] for q in queries]


# --- static files ----------------------------------------------------------------


def test_collected_static_files_are_hashed_and_cached_forever(site, settings, tmp_path):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"  # resets the static storage
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "static" / "staticfiles.json").exists()
    client = Client()  # a new handler: WhiteNoise indexes the collected files
    html = client.get(site["story"].get_absolute_url()).content.decode()
    css = re.search(r'href="(/static/newsdesk/site\.[0-9a-f]{12}\.css)"', html)
    js = re.search(r'src="(/static/engagement/engagement\.[0-9a-f]{12}\.js)"', html)
    assert css and js, "pages link the hashed names"
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    compressed = client.get(css.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"


def test_without_collectstatic_pages_link_plain_names(site):
    html = Client().get(site["story"].get_absolute_url()).content.decode()
    assert 'href="/static/newsdesk/site.css"' in html


def test_lists_remembered_by_a_process_follow_changes_made_elsewhere(
    site, page_cache, settings
):
    from django.core.cache import cache

    from newsdesk.news import caching, selectors

    settings.NEWSDESK_SHARED_BLOCK_SECONDS = 60.0
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert selectors.shared("k", compute) == 1
    assert selectors.shared("k", compute) == 1  # remembered
    # Another process changed an article: the clock in the shared cache moves.
    cache.set(caching.CHANGE_CLOCK_KEY, time.time(), None)
    selectors._clock[0] = 0.0  # its next look at the clock (at most 1 s away)
    assert selectors.shared("k", compute) == 2
    # A page shown from a remembered list is dated from that list: a purge
    # after the list was read kills the page even if it was rendered later.
    token = caching.start_page(time.time())
    before = time.time()
    selectors.shared("k", compute)
    assert caching.end_page(token) <= before


# --- pinned costs ------------------------------------------------------------------
# The SQL queries of each page kind, pinned: a change that adds one fails here,
# and so does any query whose count grows with the content (3x the articles).
PINNED = {
    # one duplicate-group lookup for the blocks: the front page and the Most
    # read and Recommended lists are shared between requests
    "home": 1,
    # the page of articles and its count, their tags
    "section": 7,
    # the article, its tags, the Related links, one duplicate-group lookup for
    # every block, views, reactions, the cluster row "Also reported by" and
    # "Full coverage" share
    "article": 7,
}


@pytest.mark.parametrize("recommender", ["built-in", "engine"])
def test_page_costs_are_pinned_and_identical_at_three_times_the_content(
    tree, make_article, settings, recommender
):
    from django.core.cache import cache

    from newsdesk.discovery.recommend import selectors as recommend_selectors
    from newsdesk.news.blocks import forget_shared_lists
    from tests.news.test_pages import blocks_of

    settings.NEWSDESK_SHARED_BLOCK_SECONDS = 60.0
    settings.NEWSDESK_RECOMMEND_BACKGROUND_LOAD = False
    settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS = 3600.0
    if recommender == "built-in":
        settings.NEWSDESK_RECOMMENDED_PROVIDER = "off"
    recommend_selectors.reset_recommender()
    client = Client()

    def costs(story):
        cache.clear()
        forget_shared_lists()
        recommend_selectors.reset_recommender()
        found = {
            "home": _queries(client, "/"),
            "section": _queries(client, "/business/finance/"),
            "article": _queries(client, story.get_absolute_url()),
        }
        shown = blocks_of(found["article"][1]).blocks
        assert all(shown[k] for k in ("related", "most-read", "recommended")), shown
        return {kind: n for kind, (n, _) in found.items()}

    # More articles than the home page shows (its pool is 40), so that the
    # shared lists have spares to skip what the page shows, then 3x as many.
    first = _grow(tree, make_article, 60)
    story = first[7]
    try:
        small = costs(story)
        _grow(tree, make_article, 120, offset=60)  # three times the content
        large = costs(story)
    finally:
        recommend_selectors.reset_recommender()
    assert large == small
    assert small["article"] <= 7  # the cap (8) less one, every block shown
    assert small == PINNED, small


# --- media -------------------------------------------------------------------------


def test_media_in_scale_out_goes_through_the_storage_api(
    settings, client, django_user_model, tree
):
    """Another storage than this machine's disk (S3 in production): uploads,
    renditions and the page's image URLs all go through it; /media/ is not
    served from here."""
    from django.core.files.storage import default_storage

    from tests.news.test_admin_images import form

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://media.example.com/"},
        },
    }
    # A superuser: the editor groups come from a data migration that a
    # transactional test before this one may have flushed.
    client.force_login(django_user_model.objects.create_superuser("ed", password="pw"))
    response = client.post("/admin/news/article/add/", form(tree["world"]))
    assert response.status_code == 302, response.content.decode()[-2000:]
    article = Article.objects.get()
    assert type(default_storage._wrapped).__name__ == "InMemoryStorage"
    assert default_storage.exists(article.lead_image.name)

    html = Client().get(article.get_absolute_url()).content.decode()
    figure = html[html.index('<figure class="lead-image">') :]
    figure = figure[: figure.index("</figure>")]
    urls = {
        part.strip().split(" ")[0]
        for text in re.findall(r'(?:src|srcset)="([^"]+)"', figure)
        for part in text.split(",")
    }
    assert len(urls) >= 2, figure
    for url in urls:
        assert url.startswith("https://media.example.com/"), url
        assert default_storage.exists(url.removeprefix("https://media.example.com/"))
    name = article.lead_image.name
    assert Client().get(f"/media/{name}").status_code == 404


def test_the_media_storage_comes_from_the_environment(tmp_path):
    import json
    import subprocess
    import sys

    code = (
        "import django; django.setup();"
        "from django.core.files.storage import default_storage as s;"
        "print(type(s._wrapped).__name__ if s.url('x') else '', s.url('a/b.jpg'))"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
        NEWSDESK_DATA_DIR=str(tmp_path),
        NEWSDESK_MEDIA_STORAGE="django.core.files.storage.InMemoryStorage",
        NEWSDESK_MEDIA_STORAGE_OPTIONS=json.dumps({"base_url": "https://m.example/"}),
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout  # fmt: skip
    assert out.split() == ["InMemoryStorage", "https://m.example/a/b.jpg"]
    env["NEWSDESK_MEDIA_STORAGE_OPTIONS"] = "[1]"
    bad = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "NEWSDESK_MEDIA_STORAGE_OPTIONS is not a JSON object" in bad.stderr


# --- behind the TLS proxy ------------------------------------------------------------


@pytest.mark.slow
def test_forwarded_proto_is_believed_only_from_the_proxy(tmp_path):
    """Through deploy/nginx.conf (a real nginx ending TLS) pages are served,
    cached and not redirected; the same header sent by anyone else is ignored,
    so it gets neither the https page from the cache nor a pass on the https
    redirect. nginx connects from 127.0.0.2 here, the only trusted proxy."""
    import http.client
    import ssl

    from tests.test_security import nginx_in_front

    with nginx_in_front(
        tmp_path, bind="127.0.0.2", NEWSDESK_TRUSTED_PROXIES="127.0.0.2"
    ) as site:
        tls = ssl._create_unverified_context()  # noqa: S323 - our throwaway cert

        def get(conn, path="/", **headers):
            conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            response.read()
            return response

        via_proxy = http.client.HTTPSConnection(
            "127.0.0.1", site.https_port, context=tls, timeout=30
        )
        first = get(via_proxy)
        assert first.status == 200
        # A client's own claim is overwritten by the proxy.
        again = get(via_proxy, **{"X-Forwarded-Proto": "http"})
        assert again.status == 200 and again.getheader("Age") is not None
        # Straight to the server, the same claim from an untrusted peer.
        direct = http.client.HTTPConnection("127.0.0.1", site.app_port, timeout=30)
        spoofed = get(direct, **{"X-Forwarded-Proto": "https"})
        assert spoofed.status == 301, spoofed.status
        assert spoofed.getheader("Location") == "https://127.0.0.1/"
        assert spoofed.getheader("Age") is None


def test_forwarded_proto_from_an_untrusted_peer_is_dropped_in_django_too(
    site, settings
):
    # ASGI servers and the test client reach Django without newsdesk.wsgi.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    proxied = client.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="::1")
    assert proxied.status_code == 200
    other = client.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 301 and other["Location"].startswith("https://")


def test_a_full_home_page_takes_its_lists_from_the_shared_copies(
    make_category, make_article, settings
):
    """The home page shows the newest few dozen stories; its "More news" list
    must still come from the shared copy (enough spares), not a query of its
    own on every request."""
    settings.NEWSDESK_SHARED_BLOCK_SECONDS = 60.0
    settings.NEWSDESK_RECOMMENDED_PROVIDER = "off"
    sections = [make_category(f"Section {i}") for i in range(8)]
    for i in range(80):
        make_article(sections[i % 8], age_hours=1 + i / 10)
    from newsdesk.news.blocks import forget_shared_lists
    from tests.news.test_pages import blocks_of

    forget_shared_lists()
    client = Client()
    queries, html = _queries(client, "/")
    shown = set(
        re.findall(r'href="(/news/\d+/[^"]+)"', html.split('class="front-aside"')[0])
    )
    more = blocks_of(html).blocks["recommended"]
    assert len(shown) > 25 and len(more) == 5, (len(shown), more)
    assert queries <= 1, queries

"""Syndication out: RSS/Atom, sitemaps, structured data and the ninjs API."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import jsonschema
import pytest
from django.utils import timezone

from newsdesk.news import actions
from newsdesk.news.models import Article, Category, Source

pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture
def content(db):
    world = actions.do_save_category(Category(name="World", slug="world"))
    europe = actions.do_save_category(
        Category(name="Europe", slug="europe", parent=world)
    )
    sport = actions.do_save_category(Category(name="Sport", slug="sport"))
    wire = Source.objects.create(
        name="Example Wire",
        url="https://wire.example/",
        credit="EW",
        licence="Wire licence",
        licence_url="https://wire.example/licence",
        indexing=Source.Indexing.NOINDEX,
    )
    now = timezone.now()

    def make(headline, category, *, hours, status="published", **fields):
        tags = actions.get_or_create_tags(fields.pop("tags", []))
        article = Article(
            headline=headline,
            category=category,
            body=f"<p>{headline}: body, <a href='https://x.example/'>a link</a>.</p>",
            standfirst=fields.pop("standfirst", f"Standfirst of {headline}"),
            status=status,
            published_at=None if status == "draft" else now - timedelta(hours=hours),
            **fields,
        )
        return actions.do_save_article(article, tags=tags)

    return {
        "fresh": make(
            "Fresh news from Paris & <Lyon>",
            europe,
            hours=1,
            tags=["France"],
            byline="Ann Writer",
        ),  # fmt: skip
        "older": make(
            "Older world story", world, hours=24 * 5, tags=["France", "Trade"]
        ),
        "sport": make("Cup final tonight", sport, hours=3),
        "wire": make(
            "Wire copy about ports",
            world,
            hours=2,
            source=wire,
            external_id="w-1",
            original_url="https://wire.example/ports",
            original_published_at=now - timedelta(hours=3),
        ),  # fmt: skip
        "draft": make("Unpublished draft", world, hours=0, status="draft"),
        "withdrawn": make("Withdrawn story", world, hours=4, status="withdrawn"),
        "world": world,
        "europe": europe,
    }


LIVE = {"fresh", "older", "sport", "wire"}


def test_home_page_links_its_feeds(client, content):
    html = client.get("/").content.decode()
    assert re.search(
        r'<link rel="alternate" type="application/rss\+xml"[^>]* href="/feeds/rss.xml"',
        html,
    )
    assert 'type="application/atom+xml"' in html
    section = client.get("/world/europe/").content.decode()
    assert 'href="/feeds/section/world/europe/rss.xml"' in section
    tag = client.get("/tag/france/").content.decode()
    assert 'href="/feeds/tag/france/atom.xml"' in tag


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feeds/rss.xml", LIVE),
        ("/feeds/atom.xml", LIVE),
        ("/feeds/section/world/rss.xml", {"fresh", "older", "wire"}),
        ("/feeds/section/world/europe/atom.xml", {"fresh"}),
        ("/feeds/tag/france/rss.xml", {"fresh", "older"}),
        ("/feeds/tag/trade/atom.xml", {"older"}),
    ],
)
def test_feeds_parse_cleanly(
    client, content, url, expected, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    # Titles are HTML escaped once (test_syndication_xss.py): a reader that
    # renders them shows the headline, "&" and "<" included.
    titles = {html.unescape(e.title) for e in parsed.entries}
    assert titles == {content[k].headline for k in expected}
    entry = (
        next(
            e
            for e in parsed.entries
            if html.unescape(e.title) == content["fresh"].headline
        )
        if ("fresh" in expected)
        else parsed.entries[0]
    )
    assert entry.link.startswith("http://testserver/news/")
    assert entry.id.startswith("http://testserver/news/")
    assert entry.get("published_parsed") or entry.get("updated_parsed")
    assert parsed.feed.title


def test_unknown_feed_objects_are_404(client, content):
    assert client.get("/feeds/section/nowhere/rss.xml").status_code == 404
    assert client.get("/feeds/tag/nothing/rss.xml").status_code == 404


def test_robots_names_the_sitemap_index(client, content):
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in robots
    index = ET.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == f"{SM}sitemapindex"
    locs = [s.find(f"{SM}loc").text for s in index.findall(f"{SM}sitemap")]
    assert locs == [
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-sections.xml",
        "http://testserver/sitemap-news.xml",
        "http://testserver/sitemap-stories.xml",  # NEWSDESK_SITEMAPS (discovery)
    ]
    for loc in locs:
        assert client.get(loc.removeprefix("http://testserver")).status_code == 200


def test_article_and_section_sitemaps(client, content):
    urlset = ET.fromstring(client.get("/sitemap-articles.xml").content)
    assert urlset.tag == f"{SM}urlset"
    entries = {u.find(f"{SM}loc").text: u for u in urlset.findall(f"{SM}url")}
    # Wire copy marked noindex stays out, as do drafts and withdrawn stories.
    expected = {"fresh", "older", "sport"}
    assert set(entries) == {
        "http://testserver" + content[k].get_absolute_url() for k in expected
    }
    for url in entries.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d.*", url.find(f"{SM}lastmod").text)
    sections = ET.fromstring(client.get("/sitemap-sections.xml").content)
    assert {u.find(f"{SM}loc").text for u in sections.findall(f"{SM}url")} == {
        "http://testserver/world/",
        "http://testserver/world/europe/",
        "http://testserver/sport/",
    }


def test_sitemaps_cost_the_same_queries_whatever_the_number_of_articles(
    client, content
):
    """The article sitemap reads its articles with .only(): the section tree's
    category must not be looked up per row (4,892 queries, 6 s, on the demo)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsdesk.cache import pages

    def queries() -> dict[str, int]:
        counts = {}
        for url in ("/sitemap.xml", "/sitemap-articles.xml"):
            pages.clear()
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts[url] = len(captured)
        return counts

    queries()  # once: per-process reads (the section tree) out of the way
    before = queries()
    world = content["older"].category
    for n in range(8):
        actions.do_save_article(
            Article(
                headline=f"Extra story {n}",
                category=world,
                body="<p>More.</p>",
                status="published",
                published_at=timezone.now() - timedelta(hours=n + 1),
            )
        )
    after = queries()
    assert after == before, (before, after)


def test_google_news_sitemap_has_the_last_48_hours(client, content):
    urlset = ET.fromstring(client.get("/sitemap-news.xml").content)
    urls = urlset.findall(f"{SM}url")
    assert {u.find(f"{SM}loc").text for u in urls} == {
        "http://testserver" + content[k].get_absolute_url() for k in ("fresh", "sport")
    }
    for url in urls:
        news = url.find(f"{NEWS}news")
        publication = news.find(f"{NEWS}publication")
        assert publication.find(f"{NEWS}name").text == "newsdesk"
        assert publication.find(f"{NEWS}language").text == "en"
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
            news.find(f"{NEWS}publication_date").text,
        )
        assert news.find(f"{NEWS}title").text


def _jsonld(html: str) -> list[dict]:
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S
    )
    return [json.loads(b) for b in blocks]


def test_article_structured_data_and_social_cards(client, content):
    article = content["wire"]
    html = client.get(article.get_absolute_url()).content.decode()
    data = {d["@type"]: d for d in _jsonld(html)}
    news = data["NewsArticle"]
    assert news["headline"] == "Wire copy about ports"
    assert news["datePublished"] == article.published_at.isoformat()
    assert news["dateModified"]
    assert news["author"] == [
        {"@type": "Organization", "name": "EW", "url": "https://wire.example/"}
    ]
    assert news["publisher"]["logo"]["url"] == "http://testserver/publisher-logo.png"
    assert news["isBasedOn"]["url"] == "https://wire.example/ports"
    assert news["isBasedOn"]["publisher"]["name"] == "Example Wire"
    assert news["license"] == "https://wire.example/licence"
    assert data["BreadcrumbList"]["itemListElement"][-1]["name"] == "World"
    assert '<meta property="og:title" content="Wire copy about ports">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert '<link rel="canonical"' in html


def test_structured_data_survives_hostile_text(client, content):
    article = content["fresh"]
    article.headline = 'Quote " backslash \\ </script><script>alert(1)</script>'
    article.byline = "Ann </script>"
    article.save()
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    news = next(d for d in _jsonld(html) if d["@type"] == "NewsArticle")
    assert news["headline"].startswith('Quote " backslash \\ </script>')
    assert news["author"] == [{"@type": "Person", "name": "Ann </script>"}]


def test_publisher_logo(client, content):
    response = client.get("/publisher-logo.png")
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


# -- ninjs API ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def ninjs_validator():
    from pathlib import Path

    from tests.conftest import SHARED_DATA

    path = Path(SHARED_DATA) / "ninjs" / "schema" / "ninjs-schema_3.0.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_ninjs_output_validates_against_iptc_schema(client, content, ninjs_validator):
    items = client.get("/api/items/?limit=100").json()["items"]
    assert len(items) == len(LIVE)
    withdrawn = client.get(f"/api/items/{content['withdrawn'].pk}/").json()
    for doc in [*items, withdrawn]:
        errors = sorted(ninjs_validator.iter_errors(doc), key=str)
        assert not errors, (doc["uri"], [e.message for e in errors])
    assert withdrawn["pubStatus"] == "canceled"
    assert "bodies" not in withdrawn
    fresh = next(i for i in items if i["headlines"][0]["value"].startswith("Fresh"))
    assert fresh["by"] == "Ann Writer"
    assert fresh["bodies"][0]["contentType"] == "text/html"
    assert {s["name"] for s in fresh["subjects"]} == {"Europe", "France"}


def test_api_cursor_pagination_is_complete(client, content):
    seen, url, pages = [], "/api/items/?limit=1", 0
    while url:
        data = client.get(url).json()
        seen += [i["uri"] for i in data["items"]]
        url = data["next"] and data["next"].removeprefix("http://testserver")
        pages += 1
    assert pages == len(LIVE)
    assert len(seen) == len(set(seen)) == len(LIVE)


def test_api_filters(client, content):
    def uris(query):
        return {i["uri"] for i in client.get("/api/items/?" + query).json()["items"]}

    def uri(key):
        return f"http://testserver/news/{content[key].pk}/"

    assert uris("category=world") == {uri("fresh"), uri("older"), uri("wire")}
    assert uris("tag=trade") == {uri("older")}
    assert uris(f"source={content['wire'].source_id}") == {uri("wire")}
    since = (timezone.now() - timedelta(hours=2, minutes=30)).isoformat()
    assert uris("since=" + since.replace("+", "%2B")) == {uri("fresh"), uri("wire")}
    assert uris("category=nowhere") == uris("tag=nothing") == uris("source=99") == set()
    # A NUL names nothing (PostgreSQL refused the query: a 500).
    assert uris("category=world%00") == uris("tag=trade%00") == set()
    for bad in ("limit=0", "limit=x", "since=yesterday", "source=abc", "colour=blue"):
        response = client.get("/api/items/?" + bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]


@pytest.mark.parametrize(
    "cursor",
    [
        "bm9wZQ",  # base64 of "nope"
        "%%%",
        "",
        "x" * 5000,
        "1_0",  # no item 0
        "1_-5",
        "-1_5",
        "1_1e9",
        "1_" + "9" * 30,  # a 500 (integer overflow) on SQLite before
        "9" * 18 + "_1",  # past year 3169
        "1_2_3",
        "\uff11_1",  # a fullwidth digit: not ASCII
        "1_1\n",
    ],
)
def test_api_garbage_cursor_is_a_bad_parameter(client, content, cursor):
    # docs/syndication.md: a bad parameter answers 400 (it used to be a 404, and
    # a huge id a 500).
    response = client.get("/api/items/", {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "cursor is not one this API issued"}


def test_api_item_etag_and_404s(client, content):
    url = f"/api/items/{content['fresh'].pk}/"
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    listing = client.get("/api/items/")
    assert (
        client.get("/api/items/", HTTP_IF_NONE_MATCH=listing["ETag"]).status_code == 304
    )
    assert client.get(f"/api/items/{content['draft'].pk}/").status_code == 404
    assert client.get("/api/items/999999/").status_code == 404


def test_openapi_document(client, content):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/",
        "/api/items/",
        "/api/items/{id}/",
        "/api/stories/{id}/",  # discovery's (news.extensions.register_api_paths)
    }

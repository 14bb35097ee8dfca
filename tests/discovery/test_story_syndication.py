"""Stories beyond their page: sitemap, feeds, the ninjs API, NewsArticle JSON-LD,
and cached copies purged when a story changes (issue 13)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from django.test import Client

from newsdesk.cache import pages
from newsdesk.discovery.models import Cluster, RelatedLink, Story
from newsdesk.discovery.related import index as related_index
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.news.signals import pages_changed
from tests.conftest import SHARED_DATA
from tests.discovery import test_story_django as story_site

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("index_in_tmp")]

# The story tests' fixtures: a small site with two stories and three loners.
publish, site = story_site.publish, story_site.site
story_of = story_site.story_of

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (purges) of what the block does, as a commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def test_stories_are_in_the_sitemap_with_their_latest_report(client, site):
    quake, rates = story_of(site["quake0"]), story_of(site["rates0"])
    index = ET.fromstring(client.get("/sitemap.xml").content)
    assert any(
        loc.text.endswith("/sitemap-stories.xml") for loc in index.iter(f"{SM}loc")
    )
    response = client.get("/sitemap-stories.xml")
    assert response.status_code == 200
    assert ",stories," in response["X-Cache-Tags"]
    urls = {
        u.find(f"{SM}loc").text: u.find(f"{SM}lastmod").text
        for u in ET.fromstring(response.content).iter(f"{SM}url")
    }
    assert set(urls) == {
        "http://testserver" + quake.get_absolute_url(),
        "http://testserver" + rates.get_absolute_url(),
    }  # stories of one report are not listed
    last = site["quake2"].published_at.date().isoformat()
    assert urls["http://testserver" + quake.get_absolute_url()].startswith(last)
    story_actions.merge_stories([rates], quake)
    quake.refresh_from_db()  # the merged story's title follows its reports
    urls = [u.text for u in ET.fromstring(
        client.get("/sitemap-stories.xml").content
    ).iter(f"{SM}loc")]  # fmt: skip
    assert urls == ["http://testserver" + quake.get_absolute_url()]


def test_a_feed_per_story_linked_from_its_page(client, site):
    story = story_of(site["quake0"])
    html = client.get(story.get_absolute_url()).content.decode()
    rss_url = f"/feeds/story/{story.pk}/rss.xml"
    atom_url = f"/feeds/story/{story.pk}/atom.xml"
    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert f'href="{rss_url}"' in html and f'href="{atom_url}"' in html
    rss = client.get(rss_url)
    assert rss.status_code == 200 and rss["Content-Type"].startswith(
        "application/rss+xml"
    )
    assert f",s{story.pk}," in rss["X-Cache-Tags"] and "public" in rss["Cache-Control"]
    titles = [i.find("title").text for i in ET.fromstring(rss.content).iter("item")]
    assert titles == [site[f"quake{i}"].headline for i in (2, 1, 0)]
    atom = ET.fromstring(client.get(atom_url).content)
    entries = [e.find(f"{ATOM}title").text for e in atom.iter(f"{ATOM}entry")]
    assert entries == titles
    assert story.title in atom.find(f"{ATOM}title").text


def test_story_feeds_redirect_after_a_merge_and_refuse_unknown_ids(client, site):
    quake, rates = story_of(site["quake0"]), story_of(site["rates0"])
    story_actions.merge_stories([rates], quake)
    for kind in ("rss", "atom"):
        response = client.get(f"/feeds/story/{rates.pk}/{kind}.xml")
        assert response.status_code == 301
        assert response["Location"] == f"/feeds/story/{quake.pk}/{kind}.xml"
    assert client.get("/feeds/story/424242/rss.xml").status_code == 404
    assert client.get("/feeds/story/99999999999999999999999/rss.xml").status_code == 404
    # A story whose reports are all gone has no feed, like no page.
    empty = Story.objects.create(key="gone", title="Gone")
    assert client.get(f"/feeds/story/{empty.pk}/atom.xml").status_code == 404


@pytest.fixture(scope="module")
def ninjs_validator():
    path = Path(SHARED_DATA) / "ninjs" / "schema" / "ninjs-schema_3.0.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return jsonschema.Draft202012Validator(
        json.loads(path.read_text()),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def test_the_story_in_the_ninjs_api_validates(client, site, ninjs_validator):
    story = story_of(site["quake0"])
    response = client.get(f"/api/stories/{story.pk}/")
    assert response.status_code == 200
    doc = response.json()
    errors = sorted(ninjs_validator.iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors]
    assert doc["type"] == "composite"
    assert doc["uri"] == f"http://testserver/api/stories/{story.pk}/"
    assert (
        doc["renditions"][0]["href"] == "http://testserver" + story.get_absolute_url()
    )
    members = [site[f"quake{i}"] for i in (2, 1, 0)]
    assert [a["uri"] for a in doc["associations"]] == [
        f"http://testserver/api/items/{a.pk}/" for a in members
    ]
    assert {a["rel"] for a in doc["associations"]} == {"report"}
    # Each association is an item of the API.
    item = client.get(doc["associations"][0]["uri"].removeprefix("http://testserver"))
    assert item.json()["headlines"][0]["value"] == members[0].headline
    assert f",s{story.pk}," in response["X-Cache-Tags"]
    # The story page announces it.
    page = client.get(story.get_absolute_url()).content.decode()
    assert f'href="/api/stories/{story.pk}/"' in page


def test_an_item_links_its_story(client, site, ninjs_validator):
    quake, rates = story_of(site["quake1"]), story_of(site["rates0"])
    response = client.get(f"/api/items/{site['quake1'].pk}/")
    doc = response.json()
    errors = sorted(ninjs_validator.iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors]
    links = [a for a in doc["associations"] if a["rel"] == "story"]
    assert links == [
        {
            "name": "story",
            "rel": "story",
            "uri": f"http://testserver/api/stories/{quake.pk}/",
            "type": "composite",
            "headlines": [
                {"role": "main", "contentType": "text/plain", "value": quake.title}
            ],
            "renditions": [
                {
                    "name": "web",
                    "href": "http://testserver" + quake.get_absolute_url(),
                    "contentType": "text/html",
                }
            ],
        }
    ]
    # The story's document lists the item back, and the item's cached copy
    # goes with the story's purge tag.
    story = client.get(links[0]["uri"].removeprefix("http://testserver")).json()
    item_url = f"http://testserver/api/items/{site['quake1'].pk}/"
    assert item_url in {a["uri"] for a in story["associations"]}
    assert f",s{quake.pk}," in response["X-Cache-Tags"]
    # A merged story's reports link the story that absorbed it.
    story_actions.merge_stories([rates], quake)
    doc = client.get(f"/api/items/{site['rates0'].pk}/").json()
    assert [a["uri"] for a in doc["associations"] if a["rel"] == "story"] == [
        f"http://testserver/api/stories/{quake.pk}/"
    ]


def test_the_story_api_is_in_the_openapi_document(client, site):
    openapi = client.get("/api/openapi.json").json()
    operation = openapi["paths"]["/api/stories/{id}/"]["get"]
    assert set(operation["responses"]) == {"200", "301", "304", "404"}
    story = story_of(site["quake0"])
    doc = client.get(f"/api/stories/{story.pk}/").json()
    jsonschema.validate(doc, openapi["components"]["schemas"]["NinjsStory"])
    item = client.get(f"/api/items/{site['quake0'].pk}/").json()
    jsonschema.validate(item, openapi["components"]["schemas"]["NinjsItem"])


def test_story_api_ids_and_merges(client, site):
    quake, rates = story_of(site["quake0"]), story_of(site["rates0"])
    for bad in ("abc", "0", "424242", "99999999999999999999999", "-1"):
        response = client.get(f"/api/stories/{bad}/")
        assert response.status_code == 404, bad
        assert response.json() == {"error": "no such story"}
    story_actions.merge_stories([rates], quake)
    response = client.get(f"/api/stories/{rates.pk}/")
    assert response.status_code == 301
    assert response["Location"] == f"/api/stories/{quake.pk}/"
    assert client.post(f"/api/stories/{quake.pk}/").status_code == 405


def _json_ld(html: str) -> dict:
    """The page's NewsArticle object."""
    found = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S
    )
    articles = [d for d in map(json.loads, found) if d["@type"] == "NewsArticle"]
    assert len(articles) == 1
    return articles[0]


def test_news_article_json_ld_is_part_of_its_story(client, site):
    story = story_of(site["quake1"])
    data = _json_ld(client.get(site["quake1"].get_absolute_url()).content.decode())
    assert data["@type"] == "NewsArticle"
    url = "http://testserver" + story.get_absolute_url()
    assert data["isPartOf"] == {
        "@type": "CollectionPage",
        "@id": url,
        "url": url,
        "name": story.title,
    }
    lone = _json_ld(client.get(site["other0"].get_absolute_url()).content.decode())
    assert "isPartOf" not in lone


@pytest.fixture
def page_cache(settings):
    settings.NEWSDESK_PAGE_CACHE = True
    pages.clear()
    yield
    pages.clear()


def _cached(client: Client, url: str) -> bool:
    response = client.get(url)
    assert response.status_code == 200, url
    return "Age" in response


def test_a_new_report_purges_its_story_pages(site, page_cache, publish, committed):
    story = story_of(site["quake0"])
    lone = site["other0"]
    client = Client()
    urls = [
        story.get_absolute_url(),
        f"/feeds/story/{story.pk}/rss.xml",
        f"/feeds/story/{story.pk}/atom.xml",
        f"/api/stories/{story.pk}/",
        "/sitemap-stories.xml",
        site["quake0"].get_absolute_url(),
        f"/api/items/{site['quake0'].pk}/",
        lone.get_absolute_url(),
    ]
    for url in urls:
        client.get(url)
        assert _cached(client, url), url
    sent: list[str] = []

    def record(sender, *, tags, **kwargs):
        sent.extend(tags)

    pages_changed.connect(record)
    try:
        later = publish(
            "Chile quake: schools reopen",
            "Schools in Valparaiso reopened a week after the Chile earthquake "
            "killed 52 "
            "people; rescue teams ended their search of collapsed buildings.",
            age_hours=0.2,
        )
    finally:
        pages_changed.disconnect(record)
    assert story_of(later).pk == story.pk
    for url in urls[:7]:
        assert not _cached(client, url), f"{url} was not purged"
    assert b"schools reopen" in client.get(urls[0]).content
    assert b"Full coverage: 4 reports" in client.get(urls[5]).content
    # Only the story that changed is purged (and the stories sitemap).
    assert {f"s{story.pk}", "stories"} <= set(sent)
    assert f"s{story_of(lone).pk}" not in sent


def test_editors_decisions_purge_the_story_pages(site, page_cache, committed):
    quake, rates = story_of(site["quake0"]), story_of(site["rates0"])
    with committed():
        story_actions.pin_title(quake, "Chile earthquake")
    quake.refresh_from_db()
    client = Client()
    urls = [rates.get_absolute_url(), quake.get_absolute_url()]
    for url in urls:
        client.get(url)
        assert _cached(client, url)
    with committed():
        story_actions.merge_stories([rates], quake)
    assert client.get(urls[0]).status_code == 301
    response = client.get(urls[1])
    assert "Age" not in response
    assert site["rates1"].headline.encode() in response.content
    item = f"/api/items/{site['rates0'].pk}/"
    client.get(item)
    assert _cached(client, item)
    with committed():
        story_actions.pin_title(quake, "The Chile earthquake")
    # The old slug was purged: it redirects to the new one.
    assert client.get(urls[1]).status_code == 301
    # The items of the story name it: purged too.
    response = client.get(item)
    assert "Age" not in response
    assert [a["headlines"][0]["value"] for a in response.json()["associations"]] == [
        "The Chile earthquake"
    ]


def test_an_item_that_joins_a_story_is_purged(site, page_cache, committed, settings):
    """An article indexed after its item was cached (a feed batch, the worker)
    had no story then: its own purge tag goes when it joins one, also when its
    related list stays the same (here: none stored)."""
    settings.NEWSDESK_RELATED_STORED = 0
    lone = site["other1"]
    Cluster.objects.filter(article=lone).delete()
    RelatedLink.objects.filter(article=lone).delete()
    client = Client()
    url = f"/api/items/{lone.pk}/"
    assert "associations" not in client.get(url).json()
    assert _cached(client, url)
    with committed():
        related_index.index_articles([lone.pk])
    response = client.get(url)
    assert "Age" not in response, "the item was not purged"
    assert [a["rel"] for a in response.json()["associations"]] == ["story"]

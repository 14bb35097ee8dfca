"""The lead image in everything the site syndicates: RSS and Atom (enclosure,
Media RSS with credit and licence), JSON Feed, NewsArticle JSON-LD, Open Graph
and Twitter cards, the ninjs API (a picture association with renditions) and the
image sitemap; every URL absolute and answering 200."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from newsdesk.news import actions
from newsdesk.news.images import licence_url
from newsdesk.news.models import Article, Category

pytestmark = pytest.mark.django_db
PHOTO = Path(__file__).parent / "testdata" / "china.jpg"
MRSS = "{http://search.yahoo.com/mrss/}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def pictured(db):
    world = actions.do_save_category(Category(name="World", slug="world"))
    article = Article(
        headline="Pagoda roofs restored",
        standfirst="The old town's roofs are done.",
        body="<p>Evening.</p>",
        category=world,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        byline="Ann Writer",
        lead_image_alt="A pagoda roof against a blue sky",
        lead_image_caption="The restored roof of the old temple.",
        lead_image_credit="Daniel Büchele",
        lead_image_licence="CC BY 2.0",
        lead_image_focal_x=30,
    )
    article.lead_image.save("china.jpg", ContentFile(PHOTO.read_bytes()), save=False)
    plain = Article(
        headline="No picture today",
        body="<p>Words only.</p>",
        category=world,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=2),
    )
    actions.do_save_article(plain)
    return actions.do_save_article(article)


def served(client, url: str) -> bytes:
    """The body of an absolute URL of this site (the test client speaks for it)."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    response = client.get(parts.path)
    assert response.status_code == 200, url
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def test_rss_carries_an_enclosure_and_media_content(client, pictured):
    body = client.get("/feeds/rss.xml").content
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    entry = next(e for e in parsed.entries if "Pagoda" in e.title)
    (enclosure,) = entry.enclosures
    assert enclosure.type == "image/jpeg"
    data = served(client, enclosure.href)
    assert int(enclosure.length) == len(data) > 0
    # The enclosure is the 16:9 crop around the focal point.
    item = next(
        i for i in ET.fromstring(body).iter("item") if "Pagoda" in i.findtext("title")
    )
    contents = item.findall(f"{MRSS}content")
    default = next(c for c in contents if c.get("isDefault") == "true")
    assert default.get("url") == enclosure.href
    width, height = int(default.get("width")), int(default.get("height"))
    assert abs(width / height - 16 / 9) < 0.01
    assert default.findtext(f"{MRSS}credit") == "Daniel Büchele"
    assert default.findtext(f"{MRSS}description") == "A pagoda roof against a blue sky"
    licence = default.find(f"{MRSS}license")
    assert licence.text == "CC BY 2.0"
    assert licence.get("href") == "https://creativecommons.org/licenses/by/2.0/"
    for content in contents:
        served(client, content.get("url"))
    assert item.find(f"{MRSS}thumbnail").get("url") == enclosure.href
    # feedparser, as readers do, sees the credit and the thumbnail.
    assert entry.media_credit[0]["content"] == "Daniel Büchele"
    assert entry.media_thumbnail[0]["url"] == enclosure.href
    plain = next(e for e in parsed.entries if "No picture" in e.title)
    assert not plain.get("enclosures") and "media_content" not in plain


def test_atom_links_the_image_as_an_enclosure(client, pictured):
    parsed = feedparser.parse(client.get("/feeds/atom.xml").content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    entry = next(e for e in parsed.entries if "Pagoda" in e.title)
    (link,) = [link for link in entry.links if link.rel == "enclosure"]
    assert link.type == "image/jpeg"
    assert int(link.length) == len(served(client, link.href))
    assert entry.media_credit[0]["content"] == "Daniel Büchele"


def test_json_feed_has_the_image(client, pictured):
    response = client.get("/feeds/feed.json")
    assert response["Content-Type"].startswith("application/feed+json")
    doc = json.loads(response.content)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == "http://testserver/feeds/feed.json"
    item = next(i for i in doc["items"] if i["title"].startswith("Pagoda"))
    assert item["image"].startswith("http://testserver/media/renditions/")
    served(client, item["image"])
    assert item["authors"] == [{"name": "Ann Writer"}]
    assert all(i["id"] and (i.get("content_text") is not None) for i in doc["items"])
    plain = next(i for i in doc["items"] if i["title"].startswith("No picture"))
    assert "image" not in plain
    # Parsed as a reader would (feedparser has no JSON Feed support; the site's
    # own ingest parser is the JSON Feed reader at hand).
    from newsdesk.ingest.parsers import jsonfeed

    parsed = jsonfeed.parse(response.content, url="http://testserver/feeds/feed.json")
    assert any(i.image_url == item["image"] for i in parsed.items)
    for path in ("/feeds/section/world/feed.json",):
        assert client.get(path).status_code == 200


def _jsonld(html: str) -> list[dict]:
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S
    )
    return [json.loads(b) for b in blocks]


def test_article_page_structured_data_and_social_cards(client, pictured):
    html = client.get(pictured.get_absolute_url()).content.decode()
    news = next(d for d in _jsonld(html) if d["@type"] == "NewsArticle")
    crop, four_three, square, whole = news["image"]
    # Google's three shapes, cropped around the focal point, then the whole.
    assert abs(four_three["width"] / four_three["height"] - 4 / 3) < 0.01
    assert square["width"] == square["height"]
    for image in (crop, four_three, square, whole):
        assert image["@type"] == "ImageObject"
        assert image["creditText"] == "Daniel Büchele"
        assert image["copyrightNotice"] == "Daniel Büchele, CC BY 2.0"
        assert image["license"] == "https://creativecommons.org/licenses/by/2.0/"
        assert image["caption"] == "The restored roof of the old temple."
        assert image["width"] and image["height"]
        served(client, image["url"])
    assert abs(crop["width"] / crop["height"] - 16 / 9) < 0.01
    assert whole["width"] >= crop["width"]
    meta = dict(
        re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html)
    )
    assert meta["og:image"] == crop["url"]
    assert meta["og:image:width"] == str(crop["width"])
    assert meta["og:image:height"] == str(crop["height"])
    assert meta["og:image:alt"] == "A pagoda roof against a blue sky"
    assert meta["og:image:type"] == "image/jpeg"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:image"] == crop["url"]
    assert meta["twitter:image:alt"] == "A pagoda roof against a blue sky"


def test_hostile_image_text_stays_text_in_structured_data(client, pictured):
    pictured.lead_image_alt = 'Roof "</script><script>alert(1)</script>'
    pictured.lead_image_credit = "A & B </script>"
    pictured.save()
    html = client.get(pictured.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    news = next(d for d in _jsonld(html) if d["@type"] == "NewsArticle")
    assert news["image"][0]["creditText"] == "A & B </script>"
    assert news["image"][0]["description"].startswith('Roof "</script>')
    feed = feedparser.parse(client.get("/feeds/rss.xml").content)
    assert feed.bozo == 0


@pytest.fixture(scope="module")
def ninjs_validator():
    from tests.conftest import SHARED_DATA

    path = Path(SHARED_DATA) / "ninjs" / "schema" / "ninjs-schema_3.0.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return jsonschema.Draft202012Validator(
        json.loads(path.read_text()),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def test_ninjs_picture_association_validates(client, pictured, ninjs_validator):
    items = client.get("/api/items/").json()["items"]
    one = client.get(f"/api/items/{pictured.pk}/").json()
    for doc in [*items, one]:
        errors = sorted(ninjs_validator.iter_errors(doc), key=str)
        assert not errors, [e.message for e in errors]
    (picture,) = one["associations"]
    assert picture["type"] == "picture"
    assert picture["name"] == "featureimage"
    assert picture["by"] == "Daniel Büchele"
    assert picture["usageTerms"] == "CC BY 2.0"
    assert picture["rightsInfo"] == {
        "linkedRights": "https://creativecommons.org/licenses/by/2.0/"
    }
    assert picture["descriptions"][0]["value"] == "A pagoda roof against a blue sky"
    assert picture["headlines"][0]["value"] == "The restored roof of the old temple."
    renditions = picture["renditions"]
    assert renditions[0]["name"].startswith("16x9-")
    assert {r["contentType"] for r in renditions} >= {"image/jpeg", "image/webp"}
    assert len({r["name"] for r in renditions}) == len(renditions)
    for rendition in renditions:
        data = served(client, rendition["href"])
        assert rendition["sizeInBytes"] == len(data)
        assert rendition["width"] and rendition["height"]
    listed = next(i for i in items if i["uri"] == one["uri"])
    assert listed["associations"] == one["associations"]
    plain = next(i for i in items if i["uri"] != one["uri"])
    assert "associations" not in plain


def test_api_list_reads_renditions_in_one_query(
    client, pictured, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        assert client.get("/api/items/").status_code == 200


def test_article_sitemap_lists_the_lead_image(client, pictured):
    root = ET.fromstring(client.get("/sitemap-articles.xml").content)
    urls = {
        u.findtext(f"{SM}loc"): [
            i.findtext(f"{IMAGE}loc") for i in u.iter(f"{IMAGE}image")
        ]
        for u in root.iter(f"{SM}url")
    }
    images = urls[f"http://testserver{pictured.get_absolute_url()}"]
    assert len(images) == 1
    served(client, images[0])
    assert [v for k, v in urls.items() if "no-picture" in k] == [[]]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/"),
        ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
        ("cc-by-nc-nd 3.0", "https://creativecommons.org/licenses/by-nc-nd/3.0/"),
        ("CC0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        ("https://wire.example/terms", "https://wire.example/terms"),
        ("AP licence", ""),
        ("Staff photo", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_licence_urls(text, url):
    assert licence_url(text) == url

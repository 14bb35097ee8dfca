"""Our RSS and Atom feeds never attack their readers (issue 14, item 4).

Headlines, standfirsts and names are plain text. A feed reader renders an RSS
title/description and an Atom text construct of type "html" as HTML, so the
feeds must carry that text HTML-escaped exactly once (under the XML escaping):
feedparser must see text without a single element, and Chromium, rendering the
parsed fields as HTML the way a reader does, must run none of the vectors in
tests/testdata/feed_reader_xss.txt. Half of the articles are written by editors,
the other half arrive through ingest from a stranger's RSS feed.
"""

from __future__ import annotations

import html
import os
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import feedparser
import pytest
from django.utils import timezone

from newsdesk.ingest.models import IngestError
from newsdesk.ingest.processor import Target
from newsdesk.ingest.runs import do_import_file
from newsdesk.news import actions
from newsdesk.news.models import Article, Category, Source, Tag
from tests.conftest import require
from tests.news.test_browser import ARGS, CHROMIUM

VECTORS_FILE = Path(__file__).parent.parent / "testdata" / "feed_reader_xss.txt"
VECTORS = [
    line
    for line in VECTORS_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
pytestmark = pytest.mark.django_db
FEEDS = ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/tag/hostile/rss.xml"]


@pytest.mark.django_db(False)
def test_the_corpus_is_big_enough():
    assert len(VECTORS) >= 60


@pytest.fixture
def hostile(db, settings, tmp_path):
    """Live articles whose headline, standfirst and byline are the vectors, half
    saved by editors and half ingested from an RSS feed titled with them."""
    settings.NEWSDESK_FEED_SIZE = 500
    settings.NEWSDESK_INGEST_DUPLICATES = "none"
    world = actions.do_save_category(Category(name="World", slug="world"))
    now = timezone.now()
    for n, vector in enumerate(VECTORS):
        article = Article(
            headline=vector[:300],
            standfirst=vector,
            byline=vector[:200],
            body=f"<p>Body {n}</p>",
            category=world,
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(minutes=n),
        )
        actions.do_save_article(article, tags=actions.get_or_create_tags([vector]))
    # A tag named by the first vector: its feed's title and description carry it.
    Tag.objects.filter(name=VECTORS[0]).update(slug="hostile")
    items = "".join(
        f"<item><title>{xml_escape(v)}</title><guid>urn:x:{n}</guid>"
        f"<author>{xml_escape(v)}</author>"
        f"<description>{xml_escape(xml_escape(v))} (wire {n})</description></item>"
        for n, v in enumerate(VECTORS)
    )
    path = tmp_path / "stranger.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Stranger</title><link>https://stranger.example/</link>"
        f"{items}</channel></rss>",
        encoding="utf-8",
    )
    source = Source.objects.create(name="Stranger", url="https://stranger.example/")
    target = Target(source=source, category=world, publish=True)
    counts = do_import_file(path, target=target)
    errors = IngestError.objects.values_list("message", flat=True)
    assert counts.created == len(VECTORS), list(errors[:3])
    assert Article.objects.filter(status="published").count() == 2 * len(VECTORS)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def as_html(fragment: str) -> tuple[list[str], str]:
    """The elements a browser would build from `fragment`, and its text."""
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    return parser.tags, "".join(parser.text)


def naive_reader_fields(entry) -> dict[str, str]:
    """Every field a careless reader renders as HTML, as feedparser hands them
    over (sanitizing off): title, summary, author and categories."""
    return {
        "title": entry.get("title", ""),
        "summary": entry.get("summary", ""),
        "author": entry.get("author", ""),
        **{f"tag{n}": t.get("term", "") for n, t in enumerate(entry.get("tags", []))},
    }


@pytest.mark.parametrize("url", FEEDS)
def test_feedparser_sees_text_not_markup(client, hostile, url):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content, sanitize_html=False)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    headlines = set(
        Article.objects.filter(status="published").values_list("headline", flat=True)
    )
    seen = set()
    for entry in parsed.entries:
        for name, value in naive_reader_fields(entry).items():
            tags, _ = as_html(value)
            assert tags == [], f"{url} {name} {value!r} decodes into {tags}"
        # Decoded once by the reader, the headline is the headline, exactly.
        seen.add(html.unescape(entry.title))
    assert seen <= headlines
    assert len(seen) >= (1 if "tag" in url else len(VECTORS))
    for value in [parsed.feed.title, parsed.feed.get("subtitle", "")]:
        assert as_html(value)[0] == []


def test_a_headline_reads_the_same_in_every_reader(client, db):
    world = actions.do_save_category(Category(name="World", slug="world"))
    headline = "M&S profits <up> 5% & “AT&T” says <b>no</b> &amp; more"
    actions.do_save_article(
        Article(
            headline=headline,
            standfirst=headline,
            body="<p>x</p>",
            category=world,
            status=Article.Status.PUBLISHED,
            published_at=timezone.now(),
        )
    )
    for url in ["/feeds/rss.xml", "/feeds/atom.xml"]:
        entry = feedparser.parse(client.get(url).content).entries[0]
        assert html.unescape(entry.title) == headline
        assert html.unescape(entry.summary) == headline
        assert as_html(entry.title) == ([], headline)


HOOK = """
(() => {
  const hit = () => {
    const frame = window.frameElement;
    window.top.__hits.push(frame && frame.dataset.i ? frame.dataset.i : 'top');
  };
  if (window === window.top) window.__hits = [];
  window.alert = window.confirm = window.prompt = hit;
})();
"""


@contextmanager
def reader_page():
    """A Chromium page whose alert/confirm/prompt record the frame they ran in."""
    require(os.path.exists(CHROMIUM), "chromium is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        context.add_init_script(HOOK)
        page = context.new_page()
        # A reader shows the feed offline here: nothing may leave the machine.
        page.route("**/*", lambda route: route.abort())
        try:
            yield page
        finally:
            browser.close()


def render_like_a_reader(page, fragments: list[str]) -> list[int]:
    """Render each fragment as HTML in its own document, as a reader shows an
    entry; the indexes of the fragments that ran script."""
    frames = "".join(
        f'<iframe data-i="{i}" srcdoc="{html.escape(f, quote=True)}"></iframe>'
        for i, f in enumerate(fragments)
    )
    page.set_content(f"<!doctype html><title>reader</title><body>{frames}</body>")
    page.wait_for_timeout(1500)  # error events, animations, autofocus
    return sorted({int(i) for i in page.evaluate("window.__hits") if i != "top"})


def entry_fragment(entry) -> str:
    return "<article>" + "".join(
        f"<p>{value}</p>" for value in naive_reader_fields(entry).values()
    )


@pytest.mark.browser
def test_the_reader_harness_catches_the_vectors():
    # The control: rendered raw, as the feeds used to deliver them after one
    # decoding, the vectors run. Without this the test below could not fail.
    # (Some vectors need a second decoding, a sanitizer to mutate them or the
    # focus of a top-level page; most run as soon as they are parsed.)
    with reader_page() as page:
        fired = render_like_a_reader(page, [f"<h2>{v}</h2>" for v in VECTORS])
    assert len(fired) >= 40, [v for i, v in enumerate(VECTORS) if i not in fired]
    assert 0 in fired  # the probe's `<<img src=x onerror=alert(86)//<` title


@pytest.mark.browser
@pytest.mark.parametrize("url", FEEDS)
def test_chromium_reader_runs_nothing_from_our_feeds(client, hostile, url):
    # Fetched before the browser starts: Playwright's greenlet would get a
    # second connection to the test database, which SQLite locks.
    parsed = feedparser.parse(client.get(url).content, sanitize_html=False)
    fragments = [entry_fragment(e) for e in parsed.entries]
    fragments.append(f"<h1>{parsed.feed.title}</h1><p>{parsed.feed.get('subtitle')}")
    assert len(fragments) > (1 if "tag" in url else len(VECTORS))
    with reader_page() as page:
        fired = render_like_a_reader(page, fragments)
    assert fired == [], [fragments[i] for i in fired]

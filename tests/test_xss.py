"""The XSS corpus (tests/testdata/xss-vectors.txt) through every input.

Each vector goes in through the feeds of every format (RSS, Atom, JSON Feed,
ninjs), the editors' write path (headline, standfirst, body) and the echoed
request parameters (search query, page number, tag slug). What comes out is
checked twice: statically (the stored and served HTML holds no active content:
no script of a stranger, no event handler, no javascript:/data: URL, no
frame or plugin) and in Chromium, where alert/confirm/prompt and a window flag
are watched on the article, list and search pages, on our own feeds rendered
as a feed reader renders them, and on the ninjs API's bodies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import feedparser
import pytest

from newsdesk.ingest.processor import Target
from newsdesk.ingest.runs import do_import_file
from newsdesk.news import actions
from newsdesk.news.models import Article, Category, Source
from tests.conftest import require

VECTORS = [
    line
    for line in (Path(__file__).parent / "testdata" / "xss-vectors.txt")
    .read_text()
    .splitlines()
    if line.strip() and not line.startswith("# ")
]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WATCH = """
window.__xss = 0;
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = () => { window.__xss += 1; };
}
"""
DANGEROUS_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "portal", "svg", "math", "template", "style", "link", "isindex", "keygen",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href", "src", "cite", "action", "formaction", "background", "poster",
    "data", "xlink:href", "srcset", "lowsrc", "dynsrc",
}  # fmt: skip
# A URL's scheme as a browser reads it (WHATWG URL: leading C0 controls and
# spaces stripped, tabs and newlines removed anywhere); no scheme = relative.
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
SAFE_SCHEMES = {"http", "https", "mailto"}
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def unsafe_url(value: str) -> bool:
    url = re.sub(r"[\t\n\r]", "", value).lstrip(_C0_AND_SPACE)
    match = SCHEME.match(url)
    return bool(match) and match.group(1).lower() not in SAFE_SCHEMES


def test_the_corpus_is_big_enough():
    assert len(VECTORS) >= 100
    assert len(set(VECTORS)) == len(VECTORS)


class _Active(HTMLParser):
    """Collects what would run: dangerous elements, handlers, script URLs.

    `own_scripts` allows the page's own scripts (static files, JSON-LD data);
    everything else found is a finding."""

    def __init__(self, *, own_scripts: bool):
        super().__init__(convert_charrefs=True)
        self.own_scripts = own_scripts
        self.findings: list[str] = []
        self._in_data_script = False
        self._meta_refresh = False

    def handle_starttag(self, tag, attrs):
        attrs = [(k.lower(), v or "") for k, v in attrs]
        a = dict(attrs)
        if tag == "script" and self.own_scripts:
            kind = a.get("type", "")
            if kind == "application/ld+json" and "src" not in a:
                self._in_data_script = True
            elif not (
                a.get("src", "").startswith("/static/") and kind in ("", "module")
            ):
                self.findings.append(f"script {a}")
        elif tag == "link" and self.own_scripts:
            pass  # the page's own head links; their URLs are checked below
        elif tag in DANGEROUS_TAGS:
            self.findings.append(f"<{tag}>")
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.findings.append(f"meta refresh {a}")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}=...>")
            if name == "style" and re.search(
                r"expression|javascript|url\(", value, re.I
            ):
                self.findings.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES and unsafe_url(value):
                self.findings.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_data_script = False

    def handle_data(self, data):
        if self._in_data_script and "<" in data:
            # JSON-LD escapes "<" (escapejs), so a raw one means a broken escape.
            self.findings.append(f"raw '<' in JSON-LD: {data[:80]!r}")


def active_content(html: str, *, own_scripts: bool = False) -> list[str]:
    parser = _Active(own_scripts=own_scripts)
    parser.feed(html)
    parser.close()
    return parser.findings


# --- inputs -----------------------------------------------------------------------


def _rss(vectors) -> str:
    items = "".join(
        f"<item><title>RSS {i} {escape(v)}</title><guid>rss-{i}</guid>"
        f"<link>https://feed.example/rss/{i}</link>"
        f"<description>{escape('<p>RSS body ' + str(i) + '</p>' + v)}</description>"
        f"<pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate></item>"
        for i, v in enumerate(vectors)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Hostile</title><link>https://feed.example/</link>"
        f"<description>x</description>{items}</channel></rss>"
    )


def _atom(vectors) -> str:
    entries = "".join(
        f'<entry><title type="html">{escape("Atom " + str(i) + " " + v)}</title>'
        f"<id>urn:atom:{i}</id><link href='https://feed.example/atom/{i}'/>"
        f"<updated>2026-11-27T10:00:00Z</updated>"
        f'<summary type="html">{escape(v)}</summary>'
        f'<content type="html">{escape("<p>Atom body</p>" + v)}</content></entry>'
        for i, v in enumerate(vectors)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile</title>'
        "<id>urn:hostile</id><updated>2026-11-27T10:00:00Z</updated>"
        f"{entries}</feed>"
    )


def _jsonfeed(vectors) -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Hostile",
            "items": [
                {
                    "id": f"json-{i}",
                    "url": f"https://feed.example/json/{i}",
                    "title": f"JSON {i} {v}",
                    "summary": v,
                    "content_html": f"<p>JSON body {i}</p>{v}",
                    "date_published": "2026-11-27T10:00:00Z",
                    "tags": [v[:60]],
                }
                for i, v in enumerate(vectors)
            ],
        }
    )


def _ninjs(vectors) -> str:
    return "\n".join(
        json.dumps(
            {
                "uri": f"urn:ninjs:hostile:{i}",
                "type": "text",
                "version": "1",
                "versionCreated": "2026-11-27T10:00:00Z",
                "headlines": [{"role": "main", "value": f"ninjs {i} {v}"}],
                "descriptions": [{"role": "summary", "value": v}],
                "bodies": [
                    {
                        "role": "main",
                        "contentType": "text/html",
                        "value": f"<p>ninjs body {i}</p>{v}",
                    }
                ],
                "by": v[:100],
            }
        )
        for i, v in enumerate(vectors)
    )


FORMATS = {"rss": _rss, "atom": _atom, "jsonfeed": _jsonfeed, "ninjs": _ninjs}
SUFFIX = {"rss": ".xml", "atom": ".xml", "jsonfeed": ".json", "ninjs": ".jsonl"}


@pytest.fixture
def section(db):
    return actions.get_or_create_category_path([("World", "world")])


def ingest(fmt: str, section: Category, tmp_path: Path) -> list[Article]:
    path = tmp_path / f"hostile-{fmt}{SUFFIX[fmt]}"
    path.write_text(FORMATS[fmt](VECTORS))
    source = Source.objects.create(name=f"Hostile {fmt}")
    target = Target(
        source=source, category=section, publish=True, near_duplicates=False
    )
    do_import_file(path, target=target)
    return list(Article.objects.filter(source=source))


def write_as_editor(section: Category) -> list[Article]:
    return [
        actions.do_save_article(
            Article(
                headline=f"Editor {i} {v}"[:300],
                standfirst=v[:500],
                body=f"<p>Editor body {i}</p>{v}",
                byline=v[:100],
                category=section,
                status=Article.Status.PUBLISHED,
            )
        )
        for i, v in enumerate(VECTORS)
    ]


# --- static checks ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_feed_items_are_stored_inert(fmt, section, tmp_path):
    articles = ingest(fmt, section, tmp_path)
    # Every vector either became an article or was refused as a whole item;
    # none may take the run down (most are valid text and must be stored).
    assert len(articles) >= len(VECTORS) * 0.9, len(articles)
    for article in articles:
        assert active_content(article.body) == [], (article.headline, article.body)
        for text in (article.headline, article.standfirst, article.byline):
            # Plain-text fields are escaped at output; stored, they stay text.
            assert "\x00" not in text


@pytest.mark.django_db
def test_editor_fields_are_stored_and_served_inert(section, client):
    for article in write_as_editor(section):
        assert active_content(article.body) == [], article.body
        html = client.get(article.get_absolute_url()).content.decode()
        assert active_content(html, own_scripts=True) == [], article.headline


@pytest.mark.django_db
def test_echoed_parameters_are_served_inert(section, client, make_article):
    make_article(section, headline="Police report")
    for v in VECTORS:
        for url in (
            f"/search/?q={quote(v)}",
            f"/search/?q=police&page={quote(v)}",
            f"/search/?q=police&sort={quote(v)}",
            f"/tag/{quote(v, safe='')}/",
            f"/api/items/?cursor={quote(v)}",
        ):
            response = client.get(url)
            assert response.status_code < 500, url
            if response["Content-Type"].startswith("text/html"):
                body = response.content.decode()
                assert active_content(body, own_scripts=True) == [], url


@pytest.mark.django_db
def test_our_feeds_and_api_carry_no_active_content(section, client, tmp_path):
    ingest("rss", section, tmp_path)
    write_as_editor(section)
    for url in ("/feeds/rss.xml", "/feeds/atom.xml"):
        parsed = feedparser.parse(client.get(url).content)
        assert parsed.entries, url
        for entry in parsed.entries:
            # What a feed reader would put into its page, after decoding.
            for html in [entry.get("title", ""), entry.get("summary", "")] + [
                c.value for c in entry.get("content", [])
            ]:
                assert active_content(html) == [], (url, html)
    items = client.get("/api/items/?limit=100").json()["items"]
    assert items
    for item in items:
        for body in item.get("bodies", []):
            assert active_content(body["value"]) == [], body["value"]


# --- in Chromium ----------------------------------------------------------------------


@pytest.fixture
def watched_page():
    require(os.path.exists(CHROMIUM), "chromium is missing (apt-get install chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        context.add_init_script(WATCH)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        yield page
        browser.close()


def fired(page) -> int:
    page.wait_for_timeout(30)  # let onload/onerror handlers of the page run
    return page.evaluate("window.__xss") + len(page.dialogs)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nothing_runs_in_chromium(watched_page, live_server, section, tmp_path):
    ingest("rss", section, tmp_path)
    ingest("ninjs", section, tmp_path)
    editor = write_as_editor(section)
    page, base = watched_page, live_server.url
    urls = [base + a.get_absolute_url() for a in editor]
    urls += [
        base + a.get_absolute_url()
        for a in Article.objects.filter(source__name="Hostile rss")
    ]
    pages = (len(editor) * 3) // 20 + 1  # section listing pages, 20 a page
    urls += [f"{base}/world/?page={n}" for n in range(1, pages + 1)] + [base + "/"]
    urls += [f"{base}/search/?q={quote(v)}" for v in VECTORS]
    urls += [f"{base}/search/?q=editor&page={quote(v)}" for v in VECTORS[:20]]
    for url in urls:
        page.goto(url, wait_until="load")
        assert fired(page) == 0, url

    # Our feeds as a feed reader shows them: decoded, then inserted as HTML.
    for feed in ("/feeds/rss.xml", "/feeds/atom.xml"):
        parsed = feedparser.parse(page.request.get(base + feed).body())
        fragments = [e.get("title", "") + e.get("summary", "") for e in parsed.entries]
        assert fragments
        page.goto(base + "/robots.txt")
        page.evaluate(
            "parts => { document.body.innerHTML = parts.join('<hr>'); }", fragments
        )
        assert fired(page) == 0, feed

    # The API's bodies as a client shows them.
    items = page.request.get(base + "/api/items/?limit=100").json()["items"]
    bodies = [b["value"] for item in items for b in item.get("bodies", [])]
    assert bodies
    page.goto(base + "/robots.txt")
    page.evaluate("parts => { document.body.innerHTML = parts.join('<hr>'); }", bodies)
    assert fired(page) == 0

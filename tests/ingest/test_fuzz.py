"""Property tests (Hypothesis) of the parsers and the sanitizer (issue 14).

Parsers: whatever the bytes, `parsers.parse` returns a ParsedFeed of well-formed
items or raises FeedError, never anything else (arbitrary bytes, and documents
of every format built from fuzzed parts, deep nesting included).
Sanitizer: the output never holds active content and sanitizing is idempotent.

Bounded for CI: a fixed number of examples per property, derandomized (the same
cases each run, so a failure reproduces), no example database on disk; the
whole module takes well under a minute (NEWSDESK_FUZZ_EXAMPLES scales it for a
longer hunt).
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from xml.sax.saxutils import escape as xml_escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.ingest import parsers
from newsdesk.news.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    clean_html,
    safe_url,
)

EXAMPLES = int(os.environ.get("NEWSDESK_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMATS = ["auto", "rss", "atom", "jsonfeed", "ninjs"]


def check_parse(body: bytes, format: str) -> None:
    """The property: a well-formed ParsedFeed, or FeedError; nothing else."""
    try:
        parsed = parsers.parse(body, format=format, url="https://feed.example/")
    except parsers.FeedError as exc:
        assert str(exc)
        return
    assert isinstance(parsed, parsers.ParsedFeed)
    for item in parsed.items:
        assert isinstance(item, parsers.Item)
        assert isinstance(item.guid, str) and item.guid.strip()
        assert isinstance(item.title, str)
        assert isinstance(item.content_html, str)
        assert item.url == "" or item.url.startswith(("http://", "https://"))
        if item.status is parsers.ItemStatus.USABLE:
            assert item.title
    for error in parsed.errors:
        assert isinstance(error, parsers.ItemError) and error.message


# -- arbitrary bytes ---------------------------------------------------------------
@FUZZ
@given(body=st.binary(max_size=2048), format=st.sampled_from(FORMATS))
def test_any_bytes_parse_or_raise_feed_error(body, format):
    check_parse(body, format)


PREFIXES = [
    b"",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b'<?xml version="1.0"?>',
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<rss version="2.0"><channel>',
    b'<feed xmlns="http://www.w3.org/2005/Atom">',
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
    b'{"uri": "urn:x", "headline": ',
    b"[",
]
SUFFIXES = [b"", b"</channel></rss>", b"</feed>", b"]}", b"}", b"\n<!-- c -->"]


@FUZZ
@given(
    prefix=st.sampled_from(PREFIXES),
    middle=st.binary(max_size=1024),
    suffix=st.sampled_from(SUFFIXES),
    format=st.sampled_from(FORMATS),
)
def test_framed_bytes_parse_or_raise_feed_error(prefix, middle, suffix, format):
    check_parse(prefix + middle + suffix, format)


# -- structured: feeds of every format from fuzzed parts ----------------------------
HOSTILE_TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "<<img src=x onerror=alert(86)//<",
            "&lt;b&gt;bold&lt;/b&gt;",
            "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
            "]]>",
            "\x00\x01\x1f",
            "\ud7ff\ufffe",
            "javascript:alert(1)",
            "urn:x:1",
            "/relative/path",
            "https://ok.example/a?b=c&d=e",
            "Fri, 27 Nov 2026 08:15:00 +0100",
            "2026-11-27T06:00:00Z",
            "9999-99-99T99:99:99Z",
            "",
            " ",
        ]
    ),
)


def _xml_text(value: str) -> str:
    # Characters XML 1.0 forbids would only test the XML parser's first line.
    value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", value)
    return xml_escape(value)


RSS_FIELDS = ["title", "link", "guid", "description", "pubDate", "category", "author"]


@st.composite
def rss_documents(draw) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        fields = draw(st.lists(st.sampled_from(RSS_FIELDS), max_size=7))
        cdata = draw(st.booleans())
        parts = []
        for name in fields:
            text = draw(HOSTILE_TEXT)
            if cdata and name == "description" and "]]>" not in text:
                parts.append(f"<{name}><![CDATA[{text}]]></{name}>")
            else:
                parts.append(f"<{name}>{_xml_text(text)}</{name}>")
        items.append("<item>" + "".join(parts) + "</item>")
    head = _xml_text(draw(HOSTILE_TEXT))
    tail = draw(st.sampled_from(["", "\n<!-- cached -->", " " * 300, "<!-- x"]))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{head}</title><link>{_xml_text(draw(HOSTILE_TEXT))}</link>"
        f"{''.join(items)}</channel></rss>{tail}"
    ).encode("utf-8", "surrogatepass")


@st.composite
def atom_documents(draw) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "html", "xhtml"]))
        text = _xml_text(draw(HOSTILE_TEXT))
        body = f'<div xmlns="http://www.w3.org/1999/xhtml">{text}</div>'
        content = body if kind == "xhtml" else text
        entries.append(
            f"<entry><title type='{kind}'>{content}</title>"
            f"<id>{_xml_text(draw(HOSTILE_TEXT))}</id>"
            f"<link href='{_xml_text(draw(HOSTILE_TEXT))}'/>"
            f"<updated>{_xml_text(draw(HOSTILE_TEXT))}</updated>"
            f"<content type='{kind}'>{content}</content></entry>"
        )
    base = _xml_text(draw(HOSTILE_TEXT)).replace("'", "")
    return (
        f"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='{base}'>"
        f"<title>{_xml_text(draw(HOSTILE_TEXT))}</title>{''.join(entries)}</feed>"
    ).encode("utf-8", "surrogatepass")


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=20,
)
NINJS_KEYS = [
    "uri", "guid", "headline", "headlines", "body_html", "body_text", "bodies",
    "description_text", "descriptions", "pubStatus", "pubstatus", "version",
    "versionCreated", "firstCreated", "subjects", "subject", "genres", "by",
    "byline", "located", "language", "associations", "renditions", "link", "url",
    "type", "value", "role", "contentType", "name", "href", "items",
]  # fmt: skip
JSONFEED_KEYS = [
    "id", "url", "title", "summary", "content_html", "content_text", "tags",
    "date_published", "date_modified", "authors", "author", "image",
    "banner_image", "language", "name",
]  # fmt: skip


def keyed_objects(keys: list[str]):
    """JSON objects with the format's own keys (so the parser goes deep) holding
    fuzzed values, nested objects of the same kind included."""
    return st.recursive(
        st.dictionaries(st.sampled_from(keys), JSON_VALUES, max_size=8),
        lambda children: st.dictionaries(
            st.sampled_from(keys),
            st.one_of(JSON_VALUES, children, st.lists(children, max_size=3)),
            max_size=8,
        ),
        max_leaves=6,
    )


@st.composite
def ninjs_documents(draw) -> bytes:
    docs = draw(st.lists(keyed_objects(NINJS_KEYS), max_size=4))
    shape = draw(st.sampled_from(["one", "array", "items", "lines"]))
    if shape == "one":
        data = docs[0] if docs else {}
    elif shape == "array":
        data = docs
    elif shape == "items":
        data = {"items": docs}
    else:
        lines = [json.dumps(d) for d in docs] + [draw(st.sampled_from(["", "{", "[1"]))]
        return "\n".join(lines).encode()
    return json.dumps(data).encode()


@st.composite
def jsonfeed_documents(draw) -> bytes:
    feed = draw(st.dictionaries(st.sampled_from(JSONFEED_KEYS), JSON_VALUES))
    feed["version"] = draw(
        st.sampled_from(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/"])
    )
    feed["items"] = draw(
        st.one_of(st.lists(keyed_objects(JSONFEED_KEYS), max_size=4), JSON_VALUES)
    )
    return json.dumps(feed).encode()


@st.composite
def deep_documents(draw) -> bytes:
    depth = draw(st.integers(1, 200_000))
    opener, closer = draw(
        st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"uri":"u","by":', "}")])
    )
    closed = draw(st.booleans())
    return (opener * depth + "1" + (closer * depth if closed else "")).encode()


@FUZZ
@given(
    body=st.one_of(
        rss_documents(),
        atom_documents(),
        ninjs_documents(),
        jsonfeed_documents(),
        deep_documents(),
    ),
    format=st.sampled_from(FORMATS),
)
def test_fuzzed_feeds_parse_or_raise_feed_error(body, format):
    check_parse(body, format)


# -- the sanitizer -----------------------------------------------------------------
HTML_PARTS = st.sampled_from(
    [
        "<p>", "</p>", "<a href='", "<a href=", "'>", ">", "<", "/>", "</a>",
        "<img src=x onerror=alert(1)>", "<script>", "</script>", "alert(1)",
        "<svg onload=alert(1)>", "<math><mtext><table><mglyph><style>",
        "<blockquote cite='", "<q cite=", "javascript:", "java\tscript:",
        "&#106;avascript:", "JaVaScRiPt:", "vbscript:", "data:text/html,",
        "https://ok.example/", "mailto:a@b.example", "//evil.example/",
        "<iframe srcdoc='", "<style>", "</style>", "<!--", "-->", "<![CDATA[",
        "]]>", "<table><tr><td>", "<form><input autofocus onfocus=alert(1)>",
        "<object data=", "<embed src=", "<base href=", "<meta http-equiv=refresh ",
        "<a href=\"javascript:alert(1)\">x</a>", " onclick=alert(1) ",
        " style='x:expression(alert(1))' ", "<noscript>", "<template>", "<xmp>",
        "&lt;", "&amp;", "&#x3C;", "\x00", "\u2028", " ", "\n", "text",
        "<time datetime='", "<td colspan=2>", "<img src='/a.png' alt='",
        "<h2>", "</h2>", "<li>", "<ul>", "<pre>", "</pre>",
    ]
)  # fmt: skip
HTML_SOUP = st.lists(st.one_of(HTML_PARTS, st.text(max_size=8)), max_size=40).map(
    "".join
)
BASES = st.sampled_from(
    [None, "https://news.example/a/b", "http://x.example", "file:///tmp/d.jsonl"]
)
ADDED = {"rel", "loading", "decoding"}  # attributes the sanitizer sets itself
EVENT = re.compile(r"^on", re.I)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


@FUZZ
@given(raw=HTML_SOUP, base=BASES)
def test_sanitized_html_holds_no_active_content(raw, base):
    cleaned = clean_html(raw, base_url=base)
    parser = _Collect()
    parser.feed(cleaned)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, (tag, cleaned)
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ADDED
        for name, value in attrs:
            assert name in allowed and not EVENT.match(name), (tag, name, cleaned)
            if name in {"href", "src", "cite"}:
                assert safe_url(value or ""), (name, value, cleaned)
    lowered = cleaned.lower()
    for bad in ("<script", "<style", "<iframe", "<svg", "<math", "<object"):
        assert bad not in lowered, cleaned


@FUZZ
@given(raw=HTML_SOUP, base=BASES)
def test_sanitizing_is_idempotent(raw, base):
    once = clean_html(raw, base_url=base)
    assert clean_html(once, base_url=base) == once
    # The save path sanitizes again without a base (news.actions): no change.
    assert clean_html(once) == once

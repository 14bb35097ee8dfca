"""Article HTML sanitizing: one allowlist for every save path (editors, ingest, demo).

Pure: no Django imports. nh3 (Rust ammonia) does the parsing; this module only
states the policy.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
    "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "img": {"src", "alt", "width", "height", "title"},
    "ol": {"start"},
    "q": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
# Class values allowed as such (nh3 drops any other): the editor's figures.
ALLOWED_CLASSES = {"figure": {"figure"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Every allowed attribute that holds a URL. ammonia checks the scheme of href and
# src only; cite (blockquote, q) and URLs made absolute against a file: or other
# base are checked here.
URL_ATTRIBUTES = {"href", "src", "cite"}
# How a browser reads a URL's scheme: leading/trailing C0 controls and spaces
# are stripped, tabs and newlines anywhere are removed (WHATWG URL parsing).
_URL_JUNK = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_IMG = re.compile(r"<img\b([^>]*?)\s*/?>")
_BLOCK_END = re.compile(
    r"</(p|h[2-4]|li|blockquote|pre|figcaption|tr|dd|dt)>|<br\s*/?>", re.I
)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")


class CleanHTML(str):
    """HTML that clean_html returned: the save path does not clean it again.

    Only clean_html makes these (like Django's SafeString, it is a promise
    about the value, not a check): a body cleaned with the item's base URL in
    ingest is stored as cleaned, not cleaned twice more on the way.
    """

    __slots__ = ()


def clean_html(raw: str, *, base_url: str | None = None) -> CleanHTML:
    """Return `raw` reduced to the allowlist.

    Scripts, styles, event handlers and URLs other than http(s)/mailto are
    dropped; links get rel="noopener noreferrer nofollow"; images load lazily;
    relative URLs are made absolute against `base_url` when one is given.

    The result is a fixed point: cleaning it again changes nothing. One pass is
    not always one: dropping a disallowed element (math, svg) can leave a tree
    that serializes to HTML a browser parses into another tree (`<h2><h2>`
    nested), the seed of mutation XSS. So the output is cleaned again until it
    is stable, which is the tree a browser will build.
    """
    cleaned = _clean_once(raw or "", base_url)
    for _ in range(3):
        again = _clean_once(cleaned, base_url)
        if again == cleaned:
            break
        cleaned = again
    return CleanHTML(cleaned)


def ensure_clean(value: str) -> CleanHTML:
    """`value` cleaned, unless clean_html made it (then as it is)."""
    return value if isinstance(value, CleanHTML) else clean_html(value)


def _clean_once(raw: str, base_url: str | None) -> str:
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr not in URL_ATTRIBUTES:
            return value
        if base_url:
            value = urljoin(base_url, value)
        return value if safe_url(value) else None

    cleaned = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=URL_SCHEMES,
        allowed_classes={k: set(v) for k, v in ALLOWED_CLASSES.items()},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=attribute_filter,
    )
    # Added here rather than by nh3's set_tag_attribute_values, which writes the
    # two in a random order: the same input must give the same output (ingest
    # compares bodies to find changes). nh3's output escapes "<" and ">" inside
    # attribute values, so this pattern meets only real img tags.
    return _IMG.sub(r'<img\1 loading="lazy" decoding="async">', cleaned).strip()


def safe_url(value: str) -> bool:
    """True when `value` is relative or uses an allowed scheme (URL_SCHEMES)."""
    url = _URL_JUNK.sub("", value).strip(_C0_AND_SPACE)
    match = _SCHEME.match(url)
    return match is None or match.group(1).lower() in URL_SCHEMES


def html_to_text(fragment: str) -> str:
    """Readable plain text of sanitized HTML, for search and similarity."""
    text = _BLOCK_END.sub("\n\n", fragment or "")
    text = html.unescape(_TAG.sub("", text))
    text = _SPACES.sub(" ", text)
    return _BLANKS.sub("\n\n", text).strip()

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
_BLOCK_END = re.compile(
    r"</(p|h[2-4]|li|blockquote|pre|figcaption|tr|dd|dt)>|<br\s*/?>", re.I
)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")


def clean_html(raw: str, *, base_url: str | None = None) -> str:
    """Return `raw` reduced to the allowlist.

    Scripts, styles, event handlers and javascript: URLs are dropped; links get
    rel="noopener noreferrer nofollow"; images load lazily; relative URLs are made
    absolute against `base_url` when one is given.
    """

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr in {"href", "src", "cite"} and base_url:
            return urljoin(base_url, value)
        return value

    cleaned = nh3.clean(
        raw or "",
        tags=ALLOWED_TAGS,
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=URL_SCHEMES,
        allowed_classes={k: set(v) for k, v in ALLOWED_CLASSES.items()},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=attribute_filter,
        set_tag_attribute_values={"img": {"loading": "lazy", "decoding": "async"}},
    )
    return cleaned.strip()


def text_to_html(text: str) -> str:
    """Plain text with blank-line paragraphs -> <p> paragraphs (escaped)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "\n".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def html_to_text(fragment: str) -> str:
    """Readable plain text of sanitized HTML, for search and similarity."""
    text = _BLOCK_END.sub("\n\n", fragment or "")
    text = html.unescape(_TAG.sub("", text))
    text = _SPACES.sub(" ", text)
    return _BLANKS.sub("\n\n", text).strip()

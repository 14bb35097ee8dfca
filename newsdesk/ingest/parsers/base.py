"""The one normalized item every format adapts to, and the errors parsers raise.

Pure: no Django, no project imports (a test enforces it).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urljoin, urlsplit


class ItemStatus(StrEnum):
    USABLE = "usable"
    WITHHELD = "withheld"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class Item:
    """One story as a feed or wire delivered it, before sanitizing.

    `guid` is the provider's stable id; a new version of the story keeps it.
    HTML fields are raw (untrusted); `base_url` resolves their relative links.
    """

    guid: str
    title: str
    url: str = ""
    summary_html: str = ""
    content_html: str = ""
    author: str = ""
    published: datetime | None = None
    # The source gave only the day of `published` (and `updated`): 00:00 UTC.
    date_only: bool = False
    updated: datetime | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image_url: str = ""
    # What the feed says about the image (Media RSS credit and description,
    # ninjs byline, copyright notice and usage terms); plain text.
    image_alt: str = ""
    image_caption: str = ""
    image_credit: str = ""
    image_licence: str = ""
    language: str = ""
    status: ItemStatus = ItemStatus.USABLE
    version: str = ""
    dateline: str = ""
    base_url: str = ""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An item's lead image as a feed names it (fields of `Item`)."""

    url: str = ""
    alt: str = ""
    caption: str = ""
    credit: str = ""
    licence: str = ""

    def cleaned(self) -> ImageRef:
        """Plain text, cut to what the article's image fields hold."""
        return ImageRef(
            url=self.url,
            alt=plain_text(self.alt)[:300],
            caption=plain_text(self.caption)[:500],
            credit=plain_text(self.credit)[:200],
            licence=plain_text(self.licence)[:200],
        )


@dataclass(frozen=True, slots=True)
class ItemError:
    """An item the parser could not turn into an `Item` (recorded, then skipped)."""

    position: int
    guid: str
    message: str


@dataclass(slots=True)
class ParsedFeed:
    format: str
    title: str = ""
    link: str = ""
    items: list[Item] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)


class FeedError(ValueError):
    """The whole document is unusable (not a feed, truncated, wrong format)."""


_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def plain_text(value: str) -> str:
    """Titles and names: markup removed, entities decoded, whitespace collapsed."""
    text = html.unescape(_TAG.sub("", value or ""))
    # A second pass for feeds that escape their markup twice (&lt;b&gt;).
    text = html.unescape(_TAG.sub("", text))
    return _SPACE.sub(" ", text).strip()


def text_to_html(text: str) -> str:
    """Plain text with blank-line paragraphs -> escaped <p> paragraphs; a single
    line break inside a paragraph stays one (<br>). The one conversion of plain
    text to body HTML (JSON Feed content_text, ninjs body_text, the demo)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def web_url(base: str, value: object) -> str:
    """`value` made absolute against `base` when that gives an http(s) URL, else
    "" (an RSS guid taken for a permalink may be a urn:, a wire id, anything)."""
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        url = urljoin(base, value.strip())
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in {"http", "https"} and parts.hostname else ""


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 / RFC 3339 timestamp as aware UTC, or None when absent or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # Wire timestamps without an offset are UTC by convention (ninjs, JSON Feed).
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def unique(values) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        text = plain_text(str(value)) if value else ""
        if text and text.casefold() not in {s.casefold() for s in seen}:
            seen[text] = None
    return tuple(seen)

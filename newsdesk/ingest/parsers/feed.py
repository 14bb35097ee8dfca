"""RSS 0.9x/1.0/2.0 and Atom through feedparser (it recovers encodings and dates)."""

from __future__ import annotations

import calendar
import codecs
import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
from feedparser.namespaces import mediarss

from .base import (
    FeedError,
    ImageRef,
    Item,
    ItemError,
    ParsedFeed,
    plain_text,
    unique,
    web_url,
)

# A document cut off in transit ends before its root element closes; feedparser's
# loose mode would still return the items it saw, the last one half-written.
_ROOT_CLOSE = re.compile(rb"</(?:[\w-]+:)?(rss|feed|RDF)\s*>$")
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)


# What XML allows after the root element, written backwards: whitespace,
# comments (caching plugins append one) and processing instructions.
_TRAILER_REVERSED = re.compile(rb"(?:\s+|>--.*?--!<|>\?.*?\?<)*", re.S)


def _document_end(body: bytes) -> bytes:
    """The last 200 bytes of `body` before its trailing whitespace, comments and
    processing instructions (matched on the reversed bytes: one linear pass)."""
    if body.startswith(_BOMS):
        # UTF-16/32 feeds: compare on UTF-8 (markup is ASCII either way).
        encoding = "utf-32" if body.startswith(codecs.BOM_UTF32_LE) else "utf-16"
        body = body.decode(encoding, errors="replace").encode()
    reversed_body = body[::-1]
    match = _TRAILER_REVERSED.match(reversed_body)
    skip = match.end() if match else 0
    return reversed_body[skip : skip + 200][::-1]


def _when(entry, key: str) -> datetime | None:
    # dict.get: FeedParserDict maps a missing updated_parsed to published_parsed
    # with a deprecation warning.
    parsed = dict.get(entry, key + "_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _content(entry) -> str:
    for content in entry.get("content") or []:
        if content.get("value"):
            return content["value"]
    return ""


# feedparser reads media:description as a second <description>, which it then
# files as the entry's content: a Media RSS feed's image caption replaced the
# story's body. Kept apart instead, as `media_description` (the image's alt text).
def _start_media_description(self, attrs_d):
    self.push("media_description", 1)


def _end_media_description(self):
    self.pop("media_description")


mediarss.Namespace._start_media_description = _start_media_description  # type: ignore[method-assign]
mediarss.Namespace._end_media_description = _end_media_description  # type: ignore[method-assign]


def _size(media) -> int:
    try:
        return int(media.get("width") or 0)
    except ValueError:
        return 0


def _image(entry, base: str) -> ImageRef:
    """The item's lead image: the widest Media RSS image, else a thumbnail, else
    an image enclosure; with the credit, description and licence the feed gives."""
    url = ""
    images = [
        m
        for m in entry.get("media_content") or []
        if web_url(base, m.get("url"))
        and (m.get("medium") == "image" or "image" in (m.get("type") or ""))
    ]
    if images:
        url = web_url(base, max(images, key=_size)["url"])
    for thumb in entry.get("media_thumbnail") or []:
        if not url:
            url = web_url(base, thumb.get("url"))
    for link in entry.get("links") or []:
        if (
            not url
            and link.get("rel") == "enclosure"
            and "image" in (link.get("type") or "")
        ):
            url = web_url(base, link.get("href"))
    if not url:
        return ImageRef()
    credits = [c.get("content") or "" for c in entry.get("media_credit") or []]
    licence = entry.get("media_license") or {}
    return ImageRef(
        url=url,
        alt=str(entry.get("media_description") or ""),
        credit=", ".join(c for c in credits if c.strip()),
        licence=str(
            licence.get("content") or licence.get("href") or ""
            if isinstance(licence, dict)
            else ""
        )
        or str(entry.get("media_copyright") or ""),
    )


def parse(body: bytes, *, url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse an RSS or Atom document; items without title or id are item errors."""
    if not _ROOT_CLOSE.search(_document_end(body)):
        raise FeedError("truncated document: the root element is never closed")
    # No content-location: feedparser would resolve permalink GUIDs against it,
    # and an id must not change when the feed moves. xml:base still applies;
    # other relative links are resolved below and by the sanitizer.
    headers = {}
    if content_type:
        headers["content-type"] = content_type
    data = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True
    )
    version = data.get("version") or ""
    if not version:
        reason = data.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedError(f"not an RSS or Atom feed: {reason}")
    feed_link = urljoin(url, data.feed["link"]) if data.feed.get("link") else url
    parsed = ParsedFeed(
        format="atom" if version.startswith("atom") else "rss",
        title=plain_text(data.feed.get("title", "")),
        link=feed_link,
    )
    for position, entry in enumerate(data.entries):
        link = web_url(feed_link, entry.get("link"))
        guid = str(entry.get("id") or link or entry.get("link") or "").strip()
        title = plain_text(entry.get("title", ""))
        summary = entry.get("summary") or ""
        if not title:
            # RSS allows title-less items; a headline made from the description
            # is better than losing the item.
            title = plain_text(summary)[:120].rsplit(" ", 1)[0] if summary else ""
        if not guid:
            parsed.errors.append(
                ItemError(position, "", "item has no guid and no link")
            )
            continue
        if not title:
            parsed.errors.append(ItemError(position, guid, "item has no title"))
            continue
        content = _content(entry)
        image = _image(entry, link or feed_link).cleaned()
        terms = unique(t.get("term") or t.get("label") for t in entry.get("tags") or [])
        parsed.items.append(
            Item(
                guid=guid[:500],
                title=title,
                url=link,
                summary_html=summary if content else "",
                content_html=content or summary,
                author=plain_text(entry.get("author", "")),
                published=_when(entry, "published") or _when(entry, "updated"),
                updated=_when(entry, "updated"),
                categories=terms,
                tags=terms,
                image_url=image.url,
                image_alt=image.alt,
                image_caption=image.caption,
                image_credit=image.credit,
                image_licence=image.licence,
                language=entry.get("language") or data.feed.get("language") or "",
                base_url=link or feed_link,
            )
        )
    return parsed

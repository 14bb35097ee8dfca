"""Pure parsers: bytes in, `ParsedFeed` of normalized `Item`s out.

No Django and no project imports (tests enforce it). Dispatch is a plain dict;
`detect` picks a format when a feed is set to "auto".
"""

from __future__ import annotations

import json
from collections.abc import Callable

from . import feed, jsonfeed, ninjs
from .base import FeedError, Item, ItemError, ItemStatus, ParsedFeed

Parser = Callable[..., ParsedFeed]

PARSERS: dict[str, Parser] = {
    "rss": feed.parse,
    "atom": feed.parse,
    "jsonfeed": jsonfeed.parse,
    "ninjs": ninjs.parse,
}


def detect(body: bytes, *, content_type: str = "") -> str:
    """The format of `body`: jsonfeed, ninjs or rss (feedparser tells RSS from Atom)."""
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        if b"jsonfeed.org/version" in body[:4096]:
            return "jsonfeed"
        return "ninjs"
    if "json" in content_type:
        try:
            data = json.loads(body.split(b"\n", 1)[0])
        except ValueError:
            return "ninjs"
        return "jsonfeed" if "jsonfeed.org" in str(data)[:500] else "ninjs"
    return "rss"


def parse(
    body: bytes, *, format: str = "auto", url: str = "", content_type: str = ""
) -> ParsedFeed:
    """Parse `body` in `format` ("auto" detects it); raises FeedError when unusable."""
    kind = detect(body, content_type=content_type) if format == "auto" else format
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise FeedError(f"unknown feed format {kind!r}") from None
    return parser(body, url=url, content_type=content_type)


__all__ = [
    "PARSERS",
    "FeedError",
    "Item",
    "ItemError",
    "ItemStatus",
    "ParsedFeed",
    "detect",
    "parse",
]

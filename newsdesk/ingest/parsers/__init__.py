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
        except (ValueError, RecursionError):
            return "ninjs"
        return "jsonfeed" if "jsonfeed.org" in str(data)[:500] else "ninjs"
    return "rss"


def parse(
    body: bytes, *, format: str = "auto", url: str = "", content_type: str = ""
) -> ParsedFeed:
    """Parse `body` in `format` ("auto" detects it).

    FeedError is the only exception: whatever goes wrong inside a parser (a bug,
    a stack exhausted by hostile nesting, a library's own error) is reported as
    an unusable document, so that one feed can never stop a run.
    """
    kind = detect(body, content_type=content_type) if format == "auto" else format
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise FeedError(f"unknown feed format {kind!r}") from None
    try:
        return parser(body, url=url, content_type=content_type)
    except FeedError:
        raise
    except RecursionError:
        raise FeedError(f"unusable {kind} document: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 (the contract above)
        raise FeedError(f"unusable {kind} document: {type(exc).__name__}") from exc


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

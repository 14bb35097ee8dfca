"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).

Written by hand: the format is a few fields of plain JSON and no maintained
parser adds anything over the standard library.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin

from .base import (
    FeedError,
    Item,
    ItemError,
    ParsedFeed,
    parse_datetime,
    plain_text,
    unique,
)


def load_json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"not UTF-8 JSON: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise FeedError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None


def _authors(obj: dict) -> str:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj["author"]] if isinstance(obj.get("author"), dict) else []
    names = [plain_text(str(a.get("name", ""))) for a in authors if isinstance(a, dict)]
    return ", ".join(n for n in names if n)


def parse(body: bytes, *, url: str = "", content_type: str = "") -> ParsedFeed:
    data = load_json(body)
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("not a JSON Feed: no jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed has no items array")
    home = str(data.get("home_page_url") or url)
    parsed = ParsedFeed(
        format="jsonfeed", title=plain_text(str(data.get("title", ""))), link=home
    )
    feed_author = _authors(data)
    for position, raw in enumerate(items):
        if not isinstance(raw, dict):
            parsed.errors.append(ItemError(position, "", "item is not an object"))
            continue
        guid = str(raw.get("id") or "").strip()
        if not guid:
            parsed.errors.append(ItemError(position, "", "item has no id"))
            continue
        link = urljoin(home or url, str(raw.get("url") or "")) if raw.get("url") else ""
        content = raw.get("content_html") or ""
        if not content and raw.get("content_text"):
            from html import escape

            content = "".join(
                f"<p>{escape(p.strip())}</p>"
                for p in str(raw["content_text"]).split("\n\n")
                if p.strip()
            )
        summary = str(raw.get("summary") or "")
        title = plain_text(str(raw.get("title") or "")) or plain_text(summary)[:120]
        if not title:
            parsed.errors.append(ItemError(position, guid, "item has no title"))
            continue
        if not content and not summary:
            parsed.errors.append(ItemError(position, guid, "item has no content"))
            continue
        tags = raw.get("tags") if isinstance(raw.get("tags"), list) else []
        parsed.items.append(
            Item(
                guid=guid[:500],
                title=title,
                url=link,
                summary_html=summary,
                content_html=str(content),
                author=_authors(raw) or feed_author,
                published=parse_datetime(raw.get("date_published")),
                updated=parse_datetime(raw.get("date_modified")),
                categories=unique(tags),
                tags=unique(tags),
                image_url=str(raw.get("image") or raw.get("banner_image") or ""),
                language=str(raw.get("language") or data.get("language") or ""),
                base_url=link or home,
            )
        )
    return parsed

"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).

Written by hand: the format is a few fields of plain JSON and no maintained
parser adds anything over the standard library.
"""

from __future__ import annotations

import json
from dataclasses import replace

from .base import (
    FeedError,
    Item,
    ItemError,
    ParsedFeed,
    parse_datetime,
    plain_text,
    text_to_html,
    unique,
    web_url,
)


def load_json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"not UTF-8 JSON: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise FeedError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise FeedError(TOO_DEEP) from None


# json's decoder recurses once per level of nesting; a few hundred kilobytes
# of "[" exhaust the stack. No news document nests anywhere near that deep.
TOO_DEEP = "not a usable JSON document: nested too deeply"


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
        try:
            item = _item(raw, home=home, url=url, language=data.get("language"))
        except RecursionError:
            parsed.errors.append(ItemError(position, "", "nested too deeply"))
            continue
        except (ValueError, TypeError) as exc:
            guid = raw.get("id") if isinstance(raw, dict) else ""
            message = str(exc) or type(exc).__name__
            parsed.errors.append(
                ItemError(position, guid if isinstance(guid, str) else "", message)
            )
            continue
        if item.author == "" and feed_author:
            item = replace(item, author=feed_author)
        parsed.items.append(item)
    return parsed


def _item(raw: object, *, home: str, url: str, language: object) -> Item:
    """One JSON Feed item; ValueError says why it is unusable."""
    if not isinstance(raw, dict):
        raise ValueError("item is not an object")
    guid = str(raw.get("id") or "").strip()
    if not guid:
        raise ValueError("item has no id")
    link = web_url(home or url, raw.get("url"))
    content = raw.get("content_html") or ""
    if not content and raw.get("content_text"):
        content = text_to_html(str(raw["content_text"]))
    summary = str(raw.get("summary") or "")
    title = plain_text(str(raw.get("title") or "")) or plain_text(summary)[:120]
    if not title:
        raise ValueError("item has no title")
    if not content and not summary:
        raise ValueError("item has no content")
    tags = raw.get("tags") if isinstance(raw.get("tags"), list) else []
    return Item(
        guid=guid[:500],
        title=title,
        url=link,
        summary_html=summary,
        content_html=str(content),
        author=_authors(raw),
        published=parse_datetime(raw.get("date_published")),
        updated=parse_datetime(raw.get("date_modified")),
        categories=unique(tags),
        tags=unique(tags),
        image_url=str(raw.get("image") or raw.get("banner_image") or ""),
        language=str(raw.get("language") or language or ""),
        base_url=link or home,
    )

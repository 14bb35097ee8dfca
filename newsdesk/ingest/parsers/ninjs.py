"""IPTC ninjs 1.x, 2.x and 3.x news items (one object, an array, or JSON Lines).

Written by hand: IPTC publishes schemas, not a parser. The versions differ in key
case (1.x/2.x lowercase, 3.x camelCase) and in singular vs array fields, so keys
are folded to lowercase first and both shapes are read.
"""

from __future__ import annotations

import json

from .base import (
    FeedError,
    ImageRef,
    Item,
    ItemError,
    ItemStatus,
    ParsedFeed,
    parse_datetime,
    plain_text,
    text_to_html,
    unique,
)
from .jsonfeed import TOO_DEEP, load_json


def _fold(value):
    if isinstance(value, dict):
        return {str(k).lower(): _fold(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fold(v) for v in value]
    return value


def _pick(entries: object, *, prefer_roles: tuple[str, ...] = ()) -> dict | None:
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict) and e.get("value")]
    for role in prefer_roles:
        for entry in entries:
            if entry.get("role") == role:
                return entry
    return entries[0] if entries else None


def _html_of(entry: dict | None) -> str:
    if entry is None:
        return ""
    value = str(entry["value"])
    kind = str(entry.get("contenttype") or entry.get("role") or "")
    if "html" in kind or "xml" in kind:
        return value
    return text_to_html(value)


def _body(doc: dict) -> str:
    bodies = doc.get("bodies")
    if isinstance(bodies, list):
        html = [
            b
            for b in bodies
            if isinstance(b, dict)
            and b.get("value")
            and ("html" in str(b.get("contenttype") or b.get("role") or ""))
        ]
        return _html_of(html[0] if html else _pick(bodies))
    if doc.get("body_html"):
        return str(doc["body_html"])
    if doc.get("body_text"):
        return text_to_html(str(doc["body_text"]))
    return ""


def _summary(doc: dict) -> str:
    descriptions = doc.get("descriptions")
    if isinstance(descriptions, list):
        return _html_of(_pick(descriptions, prefer_roles=("summary", "text")))
    if doc.get("description_html"):
        return str(doc["description_html"])
    if doc.get("description_text"):
        return text_to_html(str(doc["description_text"]))
    return ""


def _headline(doc: dict) -> str:
    entry = _pick(doc.get("headlines"), prefer_roles=("main", "headline"))
    if entry is not None:
        return plain_text(str(entry["value"]))
    return plain_text(str(doc.get("headline") or doc.get("title") or ""))


def _names(doc: dict, *keys: str) -> list[str]:
    names = []
    for key in keys:
        values = doc.get(key)
        if isinstance(values, dict):
            values = [values]
        for value in values if isinstance(values, list) else []:
            if isinstance(value, dict) and value.get("name"):
                names.append(str(value["name"]))
    return names


# The widest rendition up to this is taken: larger masters (a 4,724 px "Hires")
# cost bandwidth and time for nothing the site shows.
IMAGE_MAX_WIDTH = 2560


def _width(rendition: dict) -> int:
    try:
        return int(rendition.get("width") or 0)
    except (TypeError, ValueError):
        return 0


def _text(value: object) -> str:
    if isinstance(value, list):
        entry = _pick(value)
        return str(entry["value"]) if entry else ""
    return str(value or "")


def _image(doc: dict) -> ImageRef:
    """The first picture association: its widest web rendition within
    IMAGE_MAX_WIDTH (else its smallest), with byline, description and rights."""
    associations = doc.get("associations")
    entries = (
        associations.values()
        if isinstance(associations, dict)
        else (associations if isinstance(associations, list) else [])
    )
    for assoc in entries:
        if not isinstance(assoc, dict) or assoc.get("type") not in {
            "picture",
            "graphic",
        }:
            continue
        renditions = assoc.get("renditions")
        renditions = (
            renditions.values() if isinstance(renditions, dict) else (renditions or [])
        )
        usable = [
            r
            for r in renditions
            if isinstance(r, dict)
            and str(r.get("href", "")).startswith(("http://", "https://"))
            and "image" in str(r.get("contenttype") or r.get("mimetype") or "image")
        ]
        if not usable:
            continue
        fitting = [r for r in usable if _width(r) <= IMAGE_MAX_WIDTH]
        best = max(fitting, key=_width) if fitting else min(usable, key=_width)
        credit = assoc.get("by") or assoc.get("byline") or assoc.get("copyrightholder")
        return ImageRef(
            url=str(best["href"]),
            alt=_text(assoc.get("descriptions") or assoc.get("description_text")),
            caption=_text(assoc.get("headlines") or assoc.get("headline")),
            credit=str(credit or ""),
            licence=str(assoc.get("usageterms") or assoc.get("copyrightnotice") or ""),
        )
    return ImageRef()


def _link(doc: dict) -> str:
    for key in ("uri", "link", "url"):
        value = str(doc.get(key) or "")
        if value.startswith(("http://", "https://")):
            return value
    return ""


def item_from_ninjs(raw: object, *, position: int = 0) -> Item:
    """One ninjs document -> Item; raises ValueError with the reason when unusable."""
    if not isinstance(raw, dict):
        raise ValueError("a ninjs item must be a JSON object")
    doc = _fold(raw)
    guid = str(doc.get("uri") or doc.get("guid") or "").strip()
    if not guid:
        raise ValueError("ninjs item has no uri")
    status_raw = str(doc.get("pubstatus") or "usable").lower()
    try:
        status = ItemStatus(status_raw)
    except ValueError:
        raise ValueError(f"unknown pubStatus {status_raw!r}") from None
    title = _headline(doc)
    body = _body(doc)
    summary = _summary(doc)
    if status is ItemStatus.USABLE:
        if not title:
            raise ValueError("ninjs item has no headline")
        if not body and not summary:
            raise ValueError("ninjs item has no body")
    subjects = _names(doc, "subjects", "subject")
    genres = _names(doc, "genres", "genre")
    by = doc.get("by") or doc.get("byline") or ""
    link = _link(doc)
    image = _image(doc).cleaned()
    return Item(
        guid=guid[:500],
        title=title,
        url=link,
        summary_html=summary if body else "",
        content_html=body or summary,
        author=plain_text(str(by)),
        published=parse_datetime(doc.get("firstcreated") or doc.get("contentcreated"))
        or parse_datetime(doc.get("versioncreated")),
        updated=parse_datetime(doc.get("versioncreated")),
        categories=unique([*subjects, *genres]),
        tags=unique(subjects),
        image_url=image.url,
        image_alt=image.alt,
        image_caption=image.caption,
        image_credit=image.credit,
        image_licence=image.licence,
        language=str(doc.get("language") or ""),
        status=status,
        version=str(doc.get("version") or ""),
        dateline=plain_text(str(doc.get("located") or "")),
        base_url=link,
    )


def documents(body: bytes) -> list[tuple[int, object | ItemError]]:
    """The raw documents of a ninjs payload: one object, an array, {"items": [...]}
    or JSON Lines. A JSON Lines line that does not parse is an ItemError."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    if not text:
        raise FeedError("empty ninjs document")
    try:
        data = json.loads(text)
    except RecursionError:
        raise FeedError(TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise FeedError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        out: list[tuple[int, object | ItemError]] = []
        for number, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                out.append((number, json.loads(line)))
            except json.JSONDecodeError as line_exc:
                message = f"line {number + 1}: {line_exc.msg}"
                out.append((number, ItemError(number, "", message)))
            except RecursionError:
                message = f"line {number + 1}: nested too deeply"
                out.append((number, ItemError(number, "", message)))
        return out
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if isinstance(data, dict):
        return [(0, data)]
    if isinstance(data, list):
        return list(enumerate(data))
    raise FeedError("a ninjs payload is an object, an array or JSON Lines")


def parse(body: bytes, *, url: str = "", content_type: str = "") -> ParsedFeed:
    parsed = ParsedFeed(format="ninjs", link=url)
    for position, raw in documents(body):
        if isinstance(raw, ItemError):
            parsed.errors.append(raw)
            continue
        try:
            parsed.items.append(item_from_ninjs(raw, position=position))
        except RecursionError:
            parsed.errors.append(ItemError(position, "", "nested too deeply"))
        except (ValueError, TypeError) as exc:
            uri = raw.get("uri") if isinstance(raw, dict) else ""
            guid = uri if isinstance(uri, str) else ""
            parsed.errors.append(ItemError(position, guid, str(exc)))
    return parsed


def looks_like_ninjs(data: object) -> bool:
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"][0] if data["items"] else {}
    if isinstance(data, list):
        data = data[0] if data else {}
    return isinstance(data, dict) and "uri" in data


__all__ = ["documents", "item_from_ninjs", "looks_like_ninjs", "parse", "load_json"]

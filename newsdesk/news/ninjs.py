"""Articles as IPTC ninjs 3.0 documents (https://iptc.org/standards/ninjs/).

Pure: no Django. The API adapts Article rows to `NinjsArticle`; this module only
knows the standard. Output validates against IPTC's ninjs-schema_3.0.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

NINJS_VERSION = "3.0"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.0.json"
MEDIA_TYPE = "application/ninjs+json"


@dataclass(frozen=True, slots=True)
class NinjsRendition:
    name: str
    href: str
    content_type: str
    width: int | None = None
    height: int | None = None
    size: int = 0  # bytes; 0 when unknown


@dataclass(frozen=True, slots=True)
class NinjsPicture:
    """An article's lead image: a ninjs association of type picture."""

    uri: str
    renditions: tuple[NinjsRendition, ...]
    alt: str = ""
    caption: str = ""
    credit: str = ""
    licence: str = ""
    licence_url: str = ""


@dataclass(frozen=True, slots=True)
class NinjsLink:
    """Another news object an item points to (its story): a ninjs association
    named `name` with relationship `rel`, its own `uri`, headline and web page."""

    name: str
    rel: str
    uri: str
    type: str
    headline: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class NinjsArticle:
    uri: str
    url: str
    headline: str
    body_html: str = ""
    body_text: str = ""
    standfirst: str = ""
    byline: str = ""
    dateline: str = ""
    language: str = "en"
    created: datetime | None = None
    published: datetime | None = None
    modified: datetime | None = None
    version: str = ""
    withdrawn: bool = False
    section: str = ""
    section_uri: str = ""
    tags: tuple[tuple[str, str], ...] = ()  # (name, uri)
    credit: str = ""
    source_name: str = ""
    source_url: str = ""
    original_url: str = ""
    licence: str = ""
    licence_url: str = ""
    image: NinjsPicture | None = None
    links: tuple[NinjsLink, ...] = ()
    extra: dict = field(default_factory=dict)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _rendition(r: NinjsRendition) -> dict:
    out: dict = {"name": r.name, "href": r.href, "contentType": r.content_type}
    if r.width and r.height:
        out |= {"width": r.width, "height": r.height}
    if r.size:
        out["sizeInBytes"] = r.size
    return out


def picture_association(p: NinjsPicture) -> dict:
    """The lead image as an association named "featureimage" (the name the
    IPTC guidelines and agencies such as AP use for an item's main picture)."""
    doc: dict = {
        "name": "featureimage",
        "rel": "lead-image",
        "uri": p.uri,
        "type": "picture",
        "representationType": "full",
        "renditions": [_rendition(r) for r in p.renditions],
    }
    if p.caption:
        doc["headlines"] = [
            {"role": "caption", "contentType": "text/plain", "value": p.caption}
        ]
    if p.alt:
        doc["descriptions"] = [
            {"role": "alt", "contentType": "text/plain", "value": p.alt}
        ]
    if p.credit:
        doc["by"] = p.credit
        doc["copyrightHolder"] = p.credit
        doc["copyrightNotice"] = f"{p.credit}, {p.licence}" if p.licence else p.credit
    if p.licence:
        doc["usageTerms"] = p.licence
    if p.licence_url:
        doc["rightsInfo"] = {"linkedRights": p.licence_url}
    return doc


def link_association(link: NinjsLink) -> dict:
    doc: dict = {"name": link.name, "rel": link.rel, "uri": link.uri, "type": link.type}
    if link.headline:
        doc["headlines"] = [
            {"role": "main", "contentType": "text/plain", "value": link.headline}
        ]
    if link.url:
        doc["renditions"] = [
            {"name": "web", "href": link.url, "contentType": "text/html"}
        ]
    return doc


def to_ninjs(a: NinjsArticle) -> dict:
    """One article as a ninjs 3.0 object; a withdrawn article is a kill notice."""
    doc: dict = {
        "uri": a.uri,
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
        "type": "text",
        "representationType": "partial" if a.withdrawn else "full",
        "pubStatus": "canceled" if a.withdrawn else "usable",
        "language": a.language,
        "headlines": [
            {"role": "main", "contentType": "text/plain", "value": a.headline}
        ],
    }
    if a.version:
        doc["version"] = a.version
    for key, value in (
        ("firstCreated", _iso(a.published or a.created)),
        ("versionCreated", _iso(a.modified or a.published)),
        ("contentCreated", _iso(a.created)),
    ):
        if value:
            doc[key] = value
    if not a.withdrawn:
        if a.standfirst:
            doc["descriptions"] = [
                {"role": "summary", "contentType": "text/plain", "value": a.standfirst}
            ]
        words = len(a.body_text.split())
        doc["bodies"] = [
            {
                "role": "main",
                "contentType": "text/html",
                "value": a.body_html,
                "charCount": len(a.body_text),
                "wordCount": words,
            }
        ]
        if a.byline:
            doc["by"] = a.byline
        if a.dateline:
            doc["located"] = a.dateline
        subjects = []
        if a.section:
            subject = {"name": a.section, "rel": "section"}
            if a.section_uri:
                subject["uri"] = a.section_uri
            subjects.append(subject)
        subjects += [{"name": name, "rel": "about", "uri": uri} for name, uri in a.tags]
        if subjects:
            doc["subjects"] = subjects
        doc["renditions"] = [
            {
                "name": "web",
                "href": a.url,
                "contentType": "text/html",
                "title": a.headline,
            }
        ]
        associations = [picture_association(a.image)] if a.image else []
        associations += [link_association(link) for link in a.links]
        if associations:
            doc["associations"] = associations
    sources = []
    if a.source_name:
        source = {"name": a.source_name, "role": "originator"}
        if a.source_url:
            source["uri"] = a.source_url
        sources.append(source)
    if sources:
        doc["infoSources"] = sources
    if a.credit:
        doc["copyrightHolder"] = a.credit
    if a.licence:
        doc["usageTerms"] = a.licence
    if a.licence_url:
        doc["rightsInfo"] = {"linkedRights": a.licence_url}
    if a.original_url:
        doc["altIds"] = [{"role": "original-url", "value": a.original_url}]
    return doc


@dataclass(frozen=True, slots=True)
class NinjsStory:
    """A story (every report of one event) and its reports, newest first."""

    uri: str
    url: str
    headline: str
    language: str = "en"
    first: datetime | None = None
    modified: datetime | None = None
    version: str = ""
    reports: tuple[NinjsArticle, ...] = ()


def to_ninjs_story(s: NinjsStory) -> dict:
    """A story as a ninjs 3.0 composite: its reports are associations
    (rel "report", each with its own uri, headline, time and web rendition), so
    a client fetches the full items it wants by their uri."""
    doc: dict = {
        "uri": s.uri,
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
        "type": "composite",
        "representationType": "full",
        "pubStatus": "usable",
        "language": s.language,
        "headlines": [
            {"role": "main", "contentType": "text/plain", "value": s.headline}
        ],
        "renditions": [
            {
                "name": "web",
                "href": s.url,
                "contentType": "text/html",
                "title": s.headline,
            }
        ],
    }
    if s.version:
        doc["version"] = s.version
    for key, value in (
        ("firstCreated", _iso(s.first)),
        ("versionCreated", _iso(s.modified)),
    ):
        if value:
            doc[key] = value
    associations = []
    for a in s.reports:
        assoc = link_association(
            NinjsLink(a.headline, "report", a.uri, "text", a.headline, a.url)
        )
        if a.published:
            assoc["firstCreated"] = _iso(a.published)
        if a.source_name:
            assoc["infoSources"] = [{"name": a.source_name, "role": "originator"}]
        associations.append(assoc)
    if associations:
        doc["associations"] = associations
    return doc

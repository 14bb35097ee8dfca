"""The bundled demo content (demo/*.jsonl.gz): its sources, sections and records.

Imported by `python -m newsdesk load_demo` through the ingest import path
(newsdesk/ingest/demo.py), the same one wire dumps take.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from newsdesk.news import actions
from newsdesk.news.models import Category, Source

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "demo"

# (name, slug) paths of the demo section tree.
SECTIONS = {
    "world": [("World", "world")],
    "conflicts": [("World", "world"), ("Conflicts", "conflicts")],
    "diplomacy": [("World", "world"), ("Diplomacy", "diplomacy")],
    "politics": [("Politics", "politics")],
    "business": [("Business", "business")],
    "economy": [("Business", "business"), ("Economy", "economy")],
    "law": [("Crime & Law", "crime-law")],
    "disasters": [("Disasters", "disasters")],
    "science": [("Science & Tech", "science")],
    "health": [("Health", "health")],
    "environment": [("Health", "health"), ("Environment", "environment")],
    "weather": [("Disasters", "disasters"), ("Weather", "weather")],
    "sport": [("Sport", "sport")],
    "culture": [("Culture", "culture")],
    "education": [("Culture", "culture"), ("Education", "education")],
    "obituaries": [("Obituaries", "obituaries")],
}
SECTION_OF = {
    # Wikipedia Portal:Current events headings
    "Armed conflicts and attacks": "conflicts",
    "International relations": "diplomacy",
    "Politics and elections": "politics",
    "Business and economy": "economy",
    "Law and crime": "law",
    "Disasters and accidents": "disasters",
    "Health and environment": "health",
    "Science and technology": "science",
    "Sports": "sport",
    "Arts and culture": "culture",
    # Wikinews topics
    "Politics and conflicts": "politics",
    "Economy and business": "business",
    "Crime and law": "law",
    "Health": "health",
    "Environment": "environment",
    "Weather": "weather",
    "Culture and entertainment": "culture",
    "Education": "education",
    "Obituaries": "obituaries",
}
FALLBACK_SECTION = "world"


@dataclass(frozen=True)
class DemoSet:
    filename: str
    source_name: str
    source_url: str
    credit: str
    licence: str
    licence_url: str
    attribution: str


DEMO_SETS = (
    DemoSet(
        "wikinews-en-2019-2020.jsonl.gz",
        "Wikinews",
        "https://en.wikinews.org/",
        "Wikinews",
        "CC BY 2.5",
        "https://creativecommons.org/licenses/by/2.5/",
        "Text lightly reformatted from the original Wikinews article.",
    ),
    DemoSet(
        "wikipedia-current-events-2026.jsonl.gz",
        "Wikipedia, Portal:Current events",
        "https://en.wikipedia.org/wiki/Portal:Current_events",
        "Wikipedia",
        "CC BY-SA 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "By Wikipedia contributors; links removed, citations moved to a separate "
        "field and the headline derived from the first sentence.",
    ),
)


def read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{path}:{number}: not valid JSON ({exc.msg})"
                ) from None


def day(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)


def section_for(categories: list[str]) -> str:
    for name in categories:
        if name in SECTION_OF:
            return SECTION_OF[name]
    return FALLBACK_SECTION


def ensure_sections() -> dict[str, Category]:
    return {
        key: actions.get_or_create_category_path(path) for key, path in SECTIONS.items()
    }


def ensure_source(demo: DemoSet) -> Source:
    source, _ = Source.objects.get_or_create(
        name=demo.source_name,
        defaults={
            "url": demo.source_url,
            "credit": demo.credit,
            "licence": demo.licence,
            "licence_url": demo.licence_url,
            "attribution": demo.attribution,
        },
    )
    return source


def section_paths() -> dict[str, str]:
    """Section key -> category path (world/conflicts)."""
    return {key: "/".join(slug for _, slug in path) for key, path in SECTIONS.items()}


HEADLINE_MAX = 120
# "U.S.", "S.A.", "Jan." end a word, not a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.)*\b[A-Z]$|\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|St|Mr|Mrs|Ms|Dr|No|Gen|Lt|Col|Sgt|Rep|Sen|Gov|Inc|Ltd|Co|Corp|vs)$"
)


def headline_for(record: dict) -> str:
    """The record's headline; Wikipedia's derived titles are re-derived when
    their first-sentence cut fell on an abbreviation ("The U.S")."""
    title, body = record["title"].strip(), " ".join(record.get("body", "").split())
    if title.endswith("…") or not body.startswith(title) or len(body) <= len(title) + 1:
        return title
    if body[len(title)] != ".":
        return title
    for match in re.finditer(r"\.(?=\s|$)", body):
        if not _ABBREVIATION.search(body[: match.start()]):
            sentence = body[: match.start()]
            break
    else:
        sentence = body
    if len(sentence) <= HEADLINE_MAX:
        return sentence
    return sentence[:HEADLINE_MAX].rsplit(" ", 1)[0].rstrip(",;:") + "…"

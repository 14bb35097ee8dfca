"""The bundled demo content (demo/*.jsonl.gz): its sources, sections and records.

Imported by `python -m newsdesk load_demo` through the ingest import path
(newsdesk/ingest/demo.py), the same one wire dumps take.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
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
    return actions.get_or_create_source(
        demo.source_name,
        url=demo.source_url,
        credit=demo.credit,
        licence=demo.licence,
        licence_url=demo.licence_url,
        attribution=demo.attribution,
    )


def section_paths() -> dict[str, str]:
    """Section key -> category path (world/conflicts)."""
    return {key: "/".join(slug for _, slug in path) for key, path in SECTIONS.items()}


# --- turning records into stories ------------------------------------------------
#
# The Wikipedia briefs have no headline of their own: their `title` is the first
# sentence cut at 120 characters with "…". A headline is derived instead from
# the first sentence: the whole sentence when short, else the main clause before
# a subordinate one ("after ...", "amid ...", ", killing ..."). The body then
# holds what the headline does not say.

HEADLINE_MAX = 100  # a longer first sentence is cut at a clause boundary
HEADLINE_MIN = 30  # ... but not shorter than this
HEADLINE_HARD_MAX = 160  # a sentence up to this long is kept whole if no cut fits
HEADLINE_PHRASE_MAX = 180  # longer ones end before a late prepositional phrase
STANDFIRST_MAX = 320  # a Wikinews lede paragraph up to this long is the standfirst

# "U.S.", "S.A.", "Jan." end a word, not a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.)*\b[A-Z]$|\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|St"
    r"|Mr|Mrs|Ms|Dr|No|Gen|Lt|Col|Sgt|Rep|Sen|Gov|Inc|Ltd|Co|Corp|vs|Jr|Sr|Mt|Ft)$"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"“A-Z0-9]|$)")
# Words that open a subordinate part of a sentence: the main clause before them
# stands as a headline. Relative pronouns are not among them: a cut before
# "who" or "which" leaves a subject without its verb.
_SUBORDINATE = (
    "after", "amid", "amidst", "following", "as", "while", "whilst", "despite",
    "because", "since", "until", "ahead of", "in response to", "due to",
    "according to", "in an attempt", "in a bid", "in protest", "in what",
    "for allegedly", "citing", "prompting", "leaving", "killing", "injuring",
)  # fmt: skip
_CLAUSE = re.compile(
    r"; |\s[–—]\s"
    r"|,\s(?=(?:{words}|and\s(?![A-Z])|but|with|to|(?!including)[a-z]+ing)\b)"
    r"|\s(?=(?:{words})\b)".format(words="|".join(_SUBORDINATE))
)
_PHRASE = re.compile(
    r"\s(?=(?:in|on|at|near|by|for|over|from|during)\s)(?!at least|at most)"
)
# A headline does not end on a word that needs what follows: "one day (after
# ...)", "including (...)", nor inside an aside ("Trump, in his first address").
_BAD_END = re.compile(
    r"\b(?:days?|weeks?|hours?|months?|years?|minutes?|shortly|soon|just|moments"
    r"|including|and|or|of|the|a|an|to|that|which|who|with)$"
    r"|,\s(?:in|on|at|during|with|for|from|by|whose|who|which)\s[^,]*$"
)
_NAMED = re.compile(r"\s[A-Z]")  # a name after the first word: who or where
_OBITUARY = re.compile(r"\b(?:dies|died|dead at|obituary)\b", re.IGNORECASE)
_DATELINE = re.compile(
    r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
    r"[A-Z][a-z]+ \d{1,2}, \d{4}\s*\n"
)
_FOOTNOTE = re.compile(r"^\d{1,2}\.\s")


@dataclass(frozen=True)
class Story:
    """A demo record as an article: plain-text parts, ready for HTML."""

    headline: str
    standfirst: str
    paragraphs: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (name, url) cited by the record
    categories: tuple[str, ...]


def sentences(text: str) -> list[str]:
    """`text` split into sentences; abbreviations do not end one."""
    found, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() == "." and _ABBREVIATION.search(text[start : match.start()]):
            continue
        found.append(text[start : match.end()].strip())
        start = match.end()
    if text[start:].strip():
        found.append(text[start:].strip())
    return found


def _trim(text: str) -> str:
    """A headline has no closing punctuation, but "U.S." keeps its full stop."""
    text = text.rstrip(" ,;:")
    if text.endswith(".") and not _ABBREVIATION.search(text[:-1]):
        text = text[:-1]
    return text


def _cuts(pattern: re.Pattern, text: str) -> list[int]:
    return [
        m.start()
        for m in pattern.finditer(text)
        if m.start() >= HEADLINE_MIN
        and _NAMED.search(text[: m.start()])
        and not _BAD_END.search(text[: m.start()])
    ]


def headline_of(sentence: str) -> tuple[str, bool]:
    """(headline, whole) for a brief's first sentence; `whole` says the
    headline is the entire sentence. Never cut mid-clause, never "…"."""
    text = _trim(sentence)
    if len(text) <= HEADLINE_MAX:
        return text, True
    clauses = _cuts(_CLAUSE, text)
    within = [c for c in clauses if c <= HEADLINE_MAX]
    if within:
        return _trim(text[: within[-1]]), False
    if len(text) <= HEADLINE_HARD_MAX:
        return text, True
    # Failing a clause, a prepositional phrase; late, so the verb comes before.
    longer = [c for c in clauses if c <= HEADLINE_HARD_MAX] or [
        c for c in _cuts(_PHRASE, text) if 90 <= c <= HEADLINE_PHRASE_MAX
    ]
    if longer:
        return _trim(text[: longer[-1]]), False
    return text, True


def _derived_title(record: dict) -> bool:
    """The record's title is a cut of its body (Wikipedia briefs), not a headline."""
    title = record["title"].strip().removesuffix("…").rstrip()
    return bool(title) and " ".join(record.get("body", "").split()).startswith(title)


def clean_paragraphs(body: str) -> list[str]:
    """The body's paragraphs without the scrape's leftovers: datelines, photo
    captions, and footnotes of tables that were not kept ("1. Unofficial results")."""
    kept = []
    for raw in body.split("\n\n"):
        para = _DATELINE.sub("", raw.strip()).strip()
        lines = [line for line in para.splitlines() if line.strip()]
        if not lines:
            continue
        if all(_FOOTNOTE.match(line) for line in lines):
            continue  # a table's footnotes without the table
        if (
            len(para) < 60
            and not para.startswith(("((", "–", "—", '"', "“"))
            and not para.endswith((".", "!", "?", ":", '"', "”"))
        ):
            continue  # a photo caption ("Xbox booth")
        kept.append(" ".join(line.strip() for line in lines))
    return kept


def categories_for(record: dict) -> tuple[str, ...]:
    """The record's categories, checked: Wikinews' derived "Obituaries" is kept
    only when the headline reports a death, and then it comes first."""
    names = [c for c in record.get("categories") or () if c != "Obituaries"]
    if "Obituaries" in (record.get("categories") or ()) and _OBITUARY.search(
        record["title"]
    ):
        names.insert(0, "Obituaries")
    return tuple(names)


def story_for(record: dict) -> Story:
    sources = tuple(
        (s["name"], s["url"])
        for s in record.get("cited_sources") or ()
        if s.get("name") and str(s.get("url", "")).startswith(("https://", "http://"))
    )
    categories = categories_for(record)
    if _derived_title(record):
        parts = sentences(" ".join(record["body"].split()))
        headline, whole = headline_of(parts[0])
        if whole:
            # The headline is the first sentence: the next ones stand first,
            # and the body keeps the sources only.
            return Story(headline, " ".join(parts[1:]), (), sources, categories)
        # A cut headline is the start of the first sentence, which the body
        # gives in full.
        return Story(headline, "", (" ".join(parts),), sources, categories)
    paragraphs = clean_paragraphs(record.get("body", ""))
    standfirst = ""
    if len(paragraphs) >= 3 and len(paragraphs[0]) <= STANDFIRST_MAX:
        standfirst, paragraphs = paragraphs[0], paragraphs[1:]
    return Story(
        " ".join(record["title"].split()),
        standfirst,
        tuple(paragraphs),
        sources,
        categories,
    )


def headline_for(record: dict) -> str:
    """The headline a demo record is published under."""
    return story_for(record).headline


def collapse_duplicates(records: Iterable[dict]) -> list[dict]:
    """One record per headline: the later of two same-headline records is the
    newer report of one story (the sets are sorted by date)."""
    latest: dict[str, dict] = {}
    for record in records:
        latest[headline_for(record).casefold()] = record
    return list(latest.values())

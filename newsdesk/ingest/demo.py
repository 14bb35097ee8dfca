"""Importing the bundled demo content through the ingest path wire dumps take.

news/demo.py knows the data (sources, sections, record layout); this module
turns records into normalized items and hands them to the processor, without
near-duplicate skipping (the demo sets deliberately overlap) and indexable.
"""

from __future__ import annotations

from django.utils.html import escape

from newsdesk.ingest.parsers import Item, ItemError
from newsdesk.ingest.parsers.base import text_to_html
from newsdesk.ingest.processor import Counts, Target, process_items
from newsdesk.ingest.rules import Rule
from newsdesk.news import demo


def body_html(story: demo.Story) -> str:
    """The story's paragraphs, then the news sources a brief cites."""
    html = text_to_html("\n\n".join(story.paragraphs))
    if story.sources:
        links = ", ".join(
            f'<a href="{escape(url)}">{escape(name)}</a>' for name, url in story.sources
        )
        html += f"\n<p>Sources: {links}.</p>"
    return html


def item_from_record(record: dict) -> Item:
    for key in ("id", "title", "published", "body"):
        if not record.get(key):
            raise ValueError(f"record {record.get('id', '?')} has no {key!r}")
    story = demo.story_for(record)
    return Item(
        guid=record["id"],
        title=story.headline,
        url=record.get("url", ""),
        summary_html=text_to_html(story.standfirst),
        content_html=body_html(story),
        published=demo.day(record["published"]),
        date_only=True,  # the sets give the day only
        categories=story.categories,
        tags=tuple(record.get("topics") or ()),
        base_url=record.get("url", ""),
    )


def demo_rules() -> list[Rule]:
    paths = demo.section_paths()
    return [
        Rule("category", name.casefold(), paths[key])
        for name, key in demo.SECTION_OF.items()
    ]


def load(*, progress=None) -> dict[str, int]:
    """Import every demo set; idempotent (a re-run creates and changes nothing)."""
    sections = demo.ensure_sections()
    total = Counts()
    for demo_set in demo.DEMO_SETS:
        path = demo.DEMO_DIR / demo_set.filename
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: the demo data ships in demo/")
        items: list[Item] = []
        errors: list[ItemError] = []
        records = demo.collapse_duplicates(demo.read_jsonl(path))
        for position, record in enumerate(records):
            try:
                items.append(item_from_record(record))
            except ValueError as exc:
                errors.append(ItemError(position, str(record.get("id", "")), str(exc)))
        target = Target(
            source=demo.ensure_source(demo_set),
            category=sections[demo.FALLBACK_SECTION],
            rules=demo_rules(),
            publish=True,
            noindex=False,
            near_duplicates=False,
        )
        iterable = progress(items, desc=demo_set.source_name) if progress else items
        counts = process_items(target, iterable, errors=errors)
        for key, value in counts.as_dict().items():
            setattr(total, key, getattr(total, key) + value)
    return total.as_dict()

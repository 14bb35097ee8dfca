"""The pure parsers: bytes in, normalized items out; no Django."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.ingest import parsers
from newsdesk.ingest.parsers import FeedError, ItemStatus
from newsdesk.ingest.rules import match_path, parse_rules

TESTDATA = Path(__file__).parent / "testdata"


def load(name: str, **kwargs):
    return parsers.parse((TESTDATA / name).read_bytes(), **kwargs)


def test_parsers_and_rules_import_nothing_from_django():
    code = (
        "import sys, newsdesk.ingest.parsers, newsdesk.ingest.rules, "
        "newsdesk.ingest.fetcher, newsdesk.news.ninjs; "
        "bad = [m for m in sys.modules if m.split('.')[0] == 'django']; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_latin1_feed_is_decoded():
    parsed = load("rss_latin1.xml", url="https://journal.example/rss")
    assert parsed.format == "rss"
    assert [i.title for i in parsed.items] == [
        "Élection à Besançon : la région vote",
        "Météo : des températures en baisse",
    ]
    first = parsed.items[0]
    assert first.guid == "journal-4411"
    assert first.published == datetime(2026, 11, 27, 7, 15, tzinfo=UTC)
    assert first.categories == ("Politique",)
    assert "« une participation très élevée »" in first.content_html


def test_missing_dates_titles_and_ids():
    parsed = load("rss_missing_dates.xml")
    assert [(i.guid, i.published) for i in parsed.items] == [
        ("https://gazette.example/library-reopens", None),
        ("gazette-cycle-lane", None),
    ]
    assert [(e.guid, e.message) for e in parsed.errors] == [
        ("gazette-empty", "item has no title"),
        ("", "item has no guid and no link"),
    ]


def test_relative_links_resolve_against_xml_base():
    parsed = load("atom_relative.xml", url="https://science.example/feed.atom")
    item = parsed.items[0]
    assert parsed.format == "atom"
    assert item.url == "https://science.example/news/2026/comet.html"
    assert 'href="https://science.example/images/comet.jpg"' in item.content_html
    assert item.author == "Ada Reporter"
    assert item.summary_html == "A faint comet was seen beyond Neptune."


def test_html_in_titles_becomes_text():
    titles = [i.title for i in load("rss_html_titles.xml").items]
    assert titles == [
        "Shares rally as rates hold & bonds slip",
        "Profits double at the mill",
    ]


def test_truncated_xml_is_refused_whole():
    with pytest.raises(FeedError, match="truncated"):
        load("rss_truncated.xml")


def test_not_a_feed():
    with pytest.raises(FeedError):
        parsers.parse(b"<html><body>Hello</body></html>")
    with pytest.raises(FeedError):
        parsers.parse(b'{"broken": ', format="jsonfeed")


def test_json_feed():
    parsed = load("feed.json", url="https://tech.example/feed.json")
    assert parsed.format == "jsonfeed"
    first, second = parsed.items
    assert first.url == "https://tech.example/posts/new-chip"
    assert first.author == "Tech Notes staff"
    assert first.tags == ("Hardware",)
    assert second.content_html == "<p>Line one.</p><p>Line two &amp; more.</p>"
    assert second.published == datetime(2026, 11, 27, 8, tzinfo=UTC)
    assert [e.message for e in parsed.errors] == ["item has no id"]


def test_ninjs_versions_and_kill():
    story = load("ninjs_story.json").items[0]
    assert story.title == "Port strike halts container traffic"
    assert story.dateline == "ROTTERDAM"
    assert story.tags == ("Labour", "Shipping")
    kill = load("ninjs_kill.json").items[0]
    assert kill.status is ItemStatus.CANCELED
    assert kill.guid == story.guid


def test_jsonl_dump_mixes_versions_and_bad_lines():
    parsed = load("dump.jsonl")
    assert [i.guid for i in parsed.items] == ["urn:dump:1", "urn:dump:2", "urn:dump:4"]
    assert (
        parsed.items[0].content_html
        == "<p>First paragraph.</p><p>Second paragraph.</p>"
    )
    assert parsed.items[0].tags == ("Archive",)
    assert sorted(e.message for e in parsed.errors) == [
        "line 4: Expecting value",
        "ninjs item has no body",
    ]


def test_every_iptc_text_example_parses(shared_data):
    folder = shared_data("ninjs/examples")
    for path in sorted(folder.glob("*.json")):
        if "schema-extension_extension-schema" in path.name:
            continue  # a JSON schema, not a news item
        data = json.loads(path.read_text())
        parsed = parsers.parse(path.read_bytes())
        assert parsed.format == "ninjs", path.name
        if isinstance(data, list):
            count = len(data)
        elif isinstance(data.get("items"), list):
            count = len(data["items"])
        else:
            count = 1
        assert len(parsed.items) + len(parsed.errors) == count, path.name
        for item in parsed.items:
            assert item.guid and item.title, path.name


def test_detect():
    assert (
        parsers.detect(b'{"version": "https://jsonfeed.org/version/1.1"}') == "jsonfeed"
    )
    assert parsers.detect(b'[{"uri": "x"}]') == "ninjs"
    assert parsers.detect(b"<?xml version='1.0'?><rss/>") == "rss"


def test_mapping_rules():
    rules = parse_rules(
        "# comment\ncategory: Politique => politics\nkeyword: comet => science/space\n"
    )
    assert match_path(rules, categories=("Météo", "politique"), text="") == "politics"
    assert (
        match_path(rules, categories=(), text="A bright Comet tonight")
        == "science/space"
    )
    assert match_path(rules, categories=(), text="Nothing") is None
    with pytest.raises(ValueError, match="line 1"):
        parse_rules("sport -> sport")

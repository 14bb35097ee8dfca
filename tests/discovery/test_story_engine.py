"""The pure story engine: online clustering with stable keys and merges (issue 13)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from newsdesk.discovery.engines.related import RelatedEngine
from newsdesk.discovery.engines.stories import StoryConfig, StoryEngine
from tests.discovery.test_related_engine import CORPUS, QUAKE, art


def stream(articles, config=None):
    related, stories = RelatedEngine(), StoryEngine(config)
    for article in sorted(articles, key=lambda a: a.published):
        related.add(article)
        stories.add(article, related)
    return related, stories


def test_reports_of_one_event_form_one_story():
    _, stories = stream(CORPUS)
    assert stories.story_of("q2") == stories.story_of("q3") == "q1"
    assert stories.story_of("r2") == "r1"
    assert stories.story_of("o1") == "o1" != stories.story_of("o2") == "o2"
    assert stories.members("q1") == ["q1", "q2", "q3"]
    assert set(stories.stories()) == {"q1", "r1", "o1", "o2"}


def test_batch_build_is_deterministic():
    related = RelatedEngine()
    related.build(CORPUS)
    first, second = StoryEngine(), StoryEngine()
    first.build(CORPUS, related)
    second.build(list(reversed(CORPUS)), related)
    assert first.stories() == second.stories()
    assert first.to_bytes() == second.to_bytes()


def test_a_story_keeps_its_key_when_it_grows_or_loses_its_first_report():
    related, stories = stream(CORPUS)
    later = art(
        "q4",
        "Lima earthquake: Peru mourns its dead",
        "Peru held a day of mourning for the victims of the Lima earthquake as "
        "rescuers ended their search of collapsed buildings.",
        days=1.5,
    )
    related.add(later)
    assert stories.add(later, related) == "q1"
    stories.remove("q1", related)
    related.remove("q1")
    assert stories.story_of("q4") == stories.story_of("q2") == "q1"
    assert stories.members("q1") == ["q2", "q3", "q4"]
    # A re-added article never takes a key it once gave away.
    related.add(QUAKE[0])
    assert stories.add(QUAKE[0], related) == "q1"


def test_an_edit_replaces_the_article_in_its_story():
    related, stories = stream(CORPUS)
    moved = art("q2", QUAKE[1].title, QUAKE[1].body, days=0.9)
    stories.remove("q2", related)
    related.add(moved)
    assert stories.add(moved, related) == "q1"
    assert len(stories) == len(CORPUS)
    assert stories.members("q1") == ["q1", "q2", "q3"]


def bridge_corpus():
    """Two reports of one event in words that share little, then reports that
    use both vocabularies: the evidence that they are one story."""
    a = art(
        "a1",
        "Dam bursts above Ridgeway valley",
        "The Ridgeway reservoir dam burst overnight, sending water through farms.",
    )
    b = art(
        "b1",
        "Flooding forces Millbrook evacuation",
        "Millbrook residents were evacuated as flood water rose in the town centre.",
        days=0.1,
    )
    bridges = [
        art(
            f"c{i}",
            "Ridgeway dam burst floods Millbrook",
            "Water from the burst Ridgeway reservoir dam flooded Millbrook town "
            f"centre and farms; residents were evacuated (update {i}).",
            days=0.2 + i * 0.05,
        )
        for i in range(3)
    ]
    return [a, b, *bridges]


def test_stories_merge_when_evidence_accumulates():
    config = StoryConfig(join_threshold=0.6, merge_threshold=0.15, merge_similarity=0.1)
    related, stories = stream(bridge_corpus(), config)
    assert stories.story_of("a1") == stories.story_of("b1") == "a1"
    assert stories.resolve("b1") == "a1"
    assert stories.merges()["b1"] == "a1"
    assert set(stories.merges().values()) == {"a1"}  # the oldest story survives
    assert ("b1", "a1") in stories.take_merges()
    assert stories.take_merges() == []
    assert stories.members("b1") == stories.members("a1")


def test_state_round_trips_and_goes_on_identically():
    related, stories = stream(CORPUS)
    loaded = StoryEngine.from_bytes(stories.to_bytes())
    assert loaded.stories() == stories.stories()
    extra = art("q9", "Peru quake: aftershock hits Lima", QUAKE[2].body, days=2)
    related.add(extra)
    assert loaded.add(extra, related) == stories.add(extra, related) == "q1"
    assert loaded.to_bytes() == stories.to_bytes()


def _with_meta(data: bytes, change) -> bytes:
    npz = np.load(io.BytesIO(data), allow_pickle=False)
    arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(arrays["meta"].tobytes().decode())
    change(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_foreign_or_hostile_state_is_refused():
    _, stories = stream(CORPUS)
    data = stories.to_bytes()
    with pytest.raises(ValueError, match="not a story-engine state"):
        StoryEngine.from_bytes(b"junk")

    def cycle(meta):
        meta["merged"] = [["x", "y"], ["y", "x"]]

    with pytest.raises(ValueError, match="not a story-engine state"):
        StoryEngine.from_bytes(_with_meta(data, cycle))

    def bad_index(meta):
        meta["story"][0] = 10**6

    with pytest.raises(ValueError, match="not a story-engine state"):
        StoryEngine.from_bytes(_with_meta(data, bad_index))


def test_old_stories_fade():
    # The same subject a year later is a new story, not the old one.
    _, stories = stream(
        [
            *QUAKE,
            art(
                "late",
                "Earthquake hits Lima, Peru",
                "A strong earthquake shook Lima, damaging buildings in the Peruvian "
                "capital; rescuers searched collapsed buildings.",
                days=400,
            ),
        ]
    )
    assert stories.story_of("late") == "late"


# Casualty briefs in the template wording of news tickers ("At least N people are
# killed and M others are injured in ..."), each about another place.
CASUALTIES = [
    ("Kharkiv", "Ukraine", "a Russian missile strike on a residential area"),
    ("Karachi", "Pakistan", "a suicide bombing at a market"),
    ("Porto", "Portugal", "a bus crash on a motorway"),
    ("Maiduguri", "Nigeria", "a bomb attack on a mosque"),
    ("Goma", "Congo", "an attack by rebels on a camp"),
    ("Mogadishu", "Somalia", "a car bomb outside a hotel"),
    ("Dhaka", "Bangladesh", "a fire in a garment factory"),
    ("Cusco", "Peru", "a landslide on a mountain road"),
]


def test_template_wording_does_not_glue_stories_of_other_places():
    briefs = [
        art(
            f"c{i}",
            f"At least {5 + i} people are killed and {10 + 2 * i} others are "
            f"injured in {what} in {city}",
            f"At least {5 + i} people are killed and {10 + 2 * i} others are "
            f"injured in {what} in {city}, {country}.",
            days=i * 0.25,
            category="conflict",
        )
        for i, (city, country, what) in enumerate(CASUALTIES)
    ]
    follow_up = art(
        "f0",
        "Rescuers in Kharkiv search the rubble after the missile strike",
        "Rescuers in Kharkiv, Ukraine, search the rubble of the residential area "
        "hit by the missile strike; the death toll rises to 14.",
        days=2.1,
        category="conflict",
    )
    _, stories = stream([*briefs, follow_up])
    # Once the wording is common, a brief about another place starts its own
    # story: the stories share no names (the second brief, when the wording was
    # still rare, may join the first).
    later = [stories.story_of(f"c{i}") for i in range(2, len(CASUALTIES))]
    assert later == [f"c{i}" for i in range(2, len(CASUALTIES))]
    # A report that names the same place and event still joins its story.
    assert stories.story_of("f0") == stories.story_of("c0") == "c0"


def test_capitalised_words_count_as_names_once_written_inside_a_sentence():
    from newsdesk.discovery.engines.text import capitalised, names

    headline = "Chiquita Buys Fyffes To Form Top Banana Company"
    assert names(headline) == set()  # Title Case: capitals say nothing alone
    assert {"chiquita", "fyffes", "banana"} <= capitalised(headline)
    related, stories = stream(
        [art("b1", "Banana growers meet", "Growers met Chiquita and Fyffes in Dublin.")]
    )
    # Known names only: "Banana" and "Company" were never written as names.
    assert stories._names(headline, ()) == {"chiquita", "fyffes"}

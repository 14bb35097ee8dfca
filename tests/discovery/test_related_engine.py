"""The pure related/duplicates/stories engine on small handmade corpora."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

import newsdesk.discovery.engines as engines_pkg
from newsdesk.discovery.engines.duplicates import DuplicateConfig
from newsdesk.discovery.engines.related import (
    Article,
    RelatedConfig,
    RelatedEngine,
    related_ids,
)

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def art(id, title, body="", days=0.0, category="world", **kw):
    return Article(
        id=id,
        title=title,
        body=body,
        category=category,
        published=T0 + timedelta(days=days),
        **kw,
    )


QUAKE = [
    art(
        "q1",
        "Earthquake of magnitude 6.1 hits Lima, Peru",
        "A strong earthquake shook Lima on Monday, damaging buildings in the "
        "Peruvian capital and cutting power to thousands of homes.",
    ),
    art(
        "q2",
        "Lima earthquake: rescuers search collapsed buildings",
        "Rescue teams in Peru searched through collapsed buildings in Lima after "
        "the magnitude 6.1 earthquake, officials said.",
        days=0.3,
    ),
    art(
        "q3",
        "Peru counts damage after Lima quake",
        "The government of Peru said the earthquake near Lima damaged hundreds of "
        "buildings; aftershocks continued.",
        days=1,
    ),
]
RATES = [
    art(
        "r1",
        "Central bank raises interest rates to fight inflation",
        "The Bank of England raised interest rates by a quarter point, saying "
        "inflation remains too high.",
        category="business",
    ),
    art(
        "r2",
        "Bank of England rate rise: what it means for mortgages",
        "Mortgage holders face higher payments after the Bank of England raised "
        "interest rates again to curb inflation.",
        days=0.5,
        category="business",
    ),
]
OTHER = [
    art(
        "o1",
        "Local bakery wins national bread award",
        "A family bakery in Yorkshire was named the best in the country for its "
        "sourdough loaves.",
        category="culture",
    ),
    art(
        "o2",
        "Football club appoints new manager",
        "The club confirmed the appointment of its new head coach on a three-year "
        "contract.",
        days=2,
        category="sport",
    ),
]
CORPUS = QUAKE + RATES + OTHER


@pytest.fixture
def engine():
    e = RelatedEngine()
    e.build(CORPUS)
    return e


def test_same_story_ranks_above_unrelated(engine):
    ids = related_ids(engine, "q1", k=5)
    assert set(ids[:2]) == {"q2", "q3"}
    assert not {"o1", "o2"} & set(ids)
    assert related_ids(engine, "r1", k=5)[0] == "r2"


def test_threshold_keeps_weak_matches_out(engine):
    assert engine.related("o1", k=5) == []
    strict = RelatedEngine(RelatedConfig(min_score=0.99))
    strict.build(CORPUS)
    assert strict.related("q1", k=5) == []


def test_scores_are_sorted_and_bounded(engine):
    matches = engine.related("q2", k=5)
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < m.score <= m.similarity + 1e-6 <= 1.0 + 1e-6 for m in matches)


def test_recency_prefers_the_closer_report():
    body = "Flooding closes the main road through the valley town of Ashby."
    e = RelatedEngine(RelatedConfig(duplicates=DuplicateConfig(threshold=1.01)))
    e.build(
        [
            art("now", "Floods close Ashby valley road", body, days=30),
            art("near", "Floods close Ashby valley road", body + " More.", days=29),
            art("far", "Floods close Ashby valley road", body + " Again.", days=0),
        ]
    )
    assert related_ids(e, "now", k=2) == ["near", "far"]


def test_mmr_moves_a_redundant_report_down():
    base = (
        "Wildfire near Marseille forces evacuation of villages as strong winds "
        "spread flames across the hills"
    )
    articles = [
        art("a", "Marseille wildfire forces evacuations", base),
        art("b1", "Marseille wildfire evacuations continue", base + " overnight."),
        art("b2", "Marseille wildfire evacuations continue", base + " on Tuesday."),
        art(
            "c",
            "Villages near Marseille evacuated as wildfire spreads",
            "Strong winds spread the wildfire across the hills near Marseille and "
            "firefighters evacuated villages.",
        ),
    ]
    no_dups = DuplicateConfig(threshold=1.01)  # b1/b2 are redundant, not copies
    plain = RelatedEngine(RelatedConfig(mmr_lambda=1.0, duplicates=no_dups))
    plain.build(articles)
    assert related_ids(plain, "a", k=3) == ["b1", "b2", "c"]
    diverse = RelatedEngine(RelatedConfig(mmr_lambda=0.5, duplicates=no_dups))
    diverse.build(articles)
    assert related_ids(diverse, "a", k=3) == ["b1", "c", "b2"]


def test_incremental_add_update_remove(engine):
    assert "q4" not in engine
    late = art(
        "q4",
        "Lima earthquake death toll rises",
        "The death toll from the earthquake in Lima, Peru rose as rescuers "
        "searched collapsed buildings.",
        days=1.5,
    )
    engine.add(late)
    assert "q4" in related_ids(engine, "q2", k=5)
    assert "q4" in engine
    # An article dated before everything else takes the slow posting insert path.
    early = art(
        "r0",
        "Bank of England expected to raise interest rates",
        "Economists expect the Bank of England to raise interest rates to curb "
        "inflation.",
        days=-3,
        category="business",
    )
    engine.add(early)
    assert "r0" in related_ids(engine, "r2", k=5)
    engine.update(
        art(
            "q4",
            "Sourdough bakery in Yorkshire expands",
            "The award-winning bakery opens a second shop.",
            days=1.5,
            category="culture",
        )
    )
    assert "q4" not in related_ids(engine, "q2", k=5)
    assert "q4" in related_ids(engine, "o1", k=5)
    engine.remove("q3")
    assert "q3" not in engine
    assert "q3" not in related_ids(engine, "q1", k=5)
    with pytest.raises(KeyError):
        engine.related("q3")
    engine.remove("q3")  # unknown ids are ignored
    assert len(engine) == len(CORPUS) + 1


def test_time_window_bounds_candidates_but_finds_neighbours():
    articles = [
        art(f"d{i}", f"Drought in Kenya day {i}", "Drought in Kenya worsens.", days=i)
        for i in range(40)
    ]
    e = RelatedEngine(
        RelatedConfig(window=6, duplicates=DuplicateConfig(threshold=1.01))
    )
    e.build(articles)
    ids = related_ids(e, "d20", k=4)
    assert ids and all(abs(int(i[1:]) - 20) <= 3 for i in ids)


def test_duplicates_are_detected_and_never_listed_twice():
    text = (
        "The European Commission fined the search company 2.4 billion euros on "
        "Tuesday for abusing its dominance of the shopping comparison market, the "
        "largest penalty it has ever imposed in an antitrust case."
    )
    articles = [
        *CORPUS,
        art("w1", "EU fines search giant 2.4 billion euros", text, category="tech"),
        art("w2", "EU fines search giant 2.4 billion euros", text, 0.1, "tech"),
        art(
            "w3",
            "EU hits search giant with record 2.4 billion euro fine",
            text.replace("on Tuesday", "on Tuesday morning"),
            0.2,
            "tech",
        ),
        art(
            "w4",
            "Search company to appeal EU antitrust fine",
            "The company said it would appeal the European Commission's record "
            "antitrust fine over its shopping comparison service.",
            1,
            "tech",
        ),
    ]
    e = RelatedEngine()
    e.build(articles)
    assert set(e.duplicates_of("w1")) == {"w2", "w3"}
    assert e.is_duplicate("w3", "w2")
    assert not e.is_duplicate("w1", "w4")
    assert e.duplicates_of("q1") == []
    assert related_ids(e, "w1", k=5) == ["w4"]
    listed = related_ids(e, "w4", k=5)
    assert len(set(listed) & {"w1", "w2", "w3"}) == 1
    assert sorted(map(sorted, e.duplicate_groups())) == [["w1", "w2", "w3"]]


def test_story_clusters(engine):
    assert engine.story_of("q3") == engine.story_of("q2") == "q1"
    assert engine.story_of("r2") == "r1"
    assert engine.story_of("o1") == "o1" != engine.story_of("o2")
    assert engine.story_members("q2") == ["q1", "q2", "q3"]


def test_serialization_round_trip(engine):
    engine.remove("o2")
    engine.story_of("q3")
    data = engine.to_bytes()
    assert isinstance(data, bytes)
    loaded = RelatedEngine.from_bytes(data)
    assert len(loaded) == len(engine)
    for article in CORPUS[:-1]:
        assert loaded.related(article.id, 5) == engine.related(article.id, 5)
        assert loaded.story_of(article.id) == engine.story_of(article.id)
    loaded.add(art("o2", "Football club appoints new manager", days=2))
    assert "o2" in loaded
    with pytest.raises(ValueError, match="not a related-engine index"):
        RelatedEngine.from_bytes(b"junk")


def test_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        RelatedEngine().add(Article(id=1, title="x", published=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_engines_import_no_django():
    modules = [
        f"newsdesk.discovery.engines.{m.name}"
        for m in pkgutil.iter_modules(engines_pkg.__path__)
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django')\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr

"""The related-engine contract (engines/protocols.py): every engine passes it.

`RelatedEngineContract` holds the tests; each subclass supplies `make_engine`
(a new empty engine) and `load` (bytes back to an engine). The built-in engine,
whatever engine NEWSDESK_RELATED_ENGINE names (set it and run this file), and a
small custom engine loaded through the site's factory all pass the same tests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.discovery.engines.article import Article
from newsdesk.discovery.engines.protocols import RelatedEngineProtocol
from newsdesk.discovery.engines.related import RelatedConfig, RelatedEngine
from newsdesk.discovery.engines.stories import StoryEngine
from newsdesk.discovery.related import index as related_index

MINI = Path(__file__).parent / "testdata" / "related" / "mini.jsonl"


def _corpus() -> tuple[list[Article], dict[str, str]]:
    articles, topic = [], {}
    for line in MINI.read_text().splitlines():
        row = json.loads(line)
        published = datetime.fromisoformat(row["published"]).replace(tzinfo=UTC)
        articles.append(
            Article(
                id=row["id"],
                title=row["title"],
                body=row.get("body", ""),
                category=(row.get("categories") or [""])[0],
                published=published,
            )
        )
        if row.get("topics"):
            topic[row["id"]] = row["topics"][-1]
    return articles, topic


CORPUS, TOPIC = _corpus()


def _with_siblings() -> list[str]:
    """Articles that share their story with at least one other article."""
    counts: dict[str, int] = {}
    for t in TOPIC.values():
        counts[t] = counts.get(t, 0) + 1
    return [a.id for a in CORPUS if a.id in TOPIC and counts[TOPIC[a.id]] > 1]


class RelatedEngineContract:
    @pytest.fixture
    def make_engine(self):
        raise NotImplementedError

    @pytest.fixture
    def load(self, make_engine):
        return lambda data: type(make_engine()).from_bytes(data)

    @pytest.fixture
    def built(self, make_engine):
        engine = make_engine()
        engine.build(CORPUS)
        return engine

    def test_satisfies_the_protocol(self, make_engine):
        assert isinstance(make_engine(), RelatedEngineProtocol)

    def test_build_indexes_every_article(self, built):
        assert len(built) == len(CORPUS)
        assert set(built.ids()) == {a.id for a in CORPUS}
        assert all(a.id in built for a in CORPUS)
        assert "no-such-id" not in built

    def test_related_lists_the_story_first_and_never_itself(self, built):
        for article_id in _with_siblings():
            matches = built.related(article_id, k=3)
            assert 0 < len(matches) <= 3
            assert article_id not in [m.id for m in matches]
            assert all(m.id in built for m in matches)
            assert TOPIC.get(matches[0].id) == TOPIC[article_id], article_id
            scores = [m.score for m in matches]
            assert scores == sorted(scores, reverse=True)

    def test_add_one_by_one_finds_the_same_story(self, make_engine):
        engine = make_engine()
        for article in sorted(CORPUS, key=lambda a: a.published):
            engine.add(article)
        assert len(engine) == len(CORPUS)
        for article_id in _with_siblings():
            assert TOPIC.get(engine.related(article_id, k=1)[0].id) == TOPIC[article_id]

    def test_add_again_replaces(self, built):
        first = CORPUS[0]
        built.add(Article(id=first.id, title="Parliament debates farm subsidies"))
        assert len(built) == len(CORPUS)
        assert first.id in built

    def test_remove_forgets_and_ignores_unknown_ids(self, built):
        gone = _with_siblings()[0]
        built.remove(gone)
        built.remove("no-such-id")
        assert gone not in built
        assert len(built) == len(CORPUS) - 1
        for other in built.ids():
            assert gone not in [m.id for m in built.related(other, k=10)]

    @pytest.mark.parametrize(
        "read",
        [
            lambda e: e.related("no-such-id"),
            lambda e: e.duplicates_of("no-such-id"),
            lambda e: e.neighbours("no-such-id"),
            lambda e: e.vector("no-such-id"),
            lambda e: e.timestamp("no-such-id"),
        ],
    )
    def test_unknown_ids_raise_key_error(self, built, read):
        with pytest.raises(KeyError):
            read(built)

    def test_an_exact_copy_is_a_duplicate_not_a_related_article(self, make_engine):
        original = CORPUS[0]
        copy = Article(
            id="copy",
            title=original.title,
            body=original.body,
            category=original.category,
            published=original.published,
        )
        engine = make_engine()
        engine.build([*CORPUS, copy])
        assert "copy" in engine.duplicates_of(original.id)
        assert "copy" not in [m.id for m in engine.related(original.id, k=10)]

    def test_bytes_round_trip_keeps_the_class_and_the_answers(self, built, load):
        loaded = load(built.to_bytes())
        assert type(loaded) is type(built)
        assert sorted(loaded.ids()) == sorted(built.ids())
        for article_id in built.ids():
            assert [m.id for m in loaded.related(article_id, k=5)] == [
                m.id for m in built.related(article_id, k=5)
            ]
            assert loaded.timestamp(article_id) == built.timestamp(article_id)
        # A loaded engine keeps working.
        loaded.add(Article(id="late", title="Storm Ciara: clean-up continues"))
        assert "late" in loaded

    @pytest.mark.parametrize(
        "data", [b"", b"not an index", b"PK\x03\x04broken zip", b"\x93NUMPY"]
    )
    def test_from_bytes_refuses_what_it_did_not_write(self, load, data):
        with pytest.raises(ValueError):
            load(data)

    def test_the_story_engine_clusters_on_it(self, built):
        stories = StoryEngine()
        stories.build(CORPUS, built)
        for article_id in _with_siblings():
            members = stories.members(stories.story_of(article_id))
            assert any(
                TOPIC.get(m) == TOPIC[article_id] for m in members if m != article_id
            ), article_id


class TestRelatedEngine(RelatedEngineContract):
    @pytest.fixture
    def make_engine(self):
        return RelatedEngine


class TestEngineNamedInSettings(RelatedEngineContract):
    """Whatever engine NEWSDESK_RELATED_ENGINE names, made and loaded the way
    the site does it (related/index.py)."""

    @pytest.fixture
    def make_engine(self, settings):
        return related_index.engine_factory

    @pytest.fixture
    def load(self, settings):
        return related_index.load_engine


class NoFeedbackEngine(RelatedEngine):
    """A small custom engine: the built-in ranking without the feedback step."""

    def __init__(self, config: RelatedConfig | None = None) -> None:
        super().__init__(config or RelatedConfig(feedback=0))


class TestCustomEngineNamedInSettings(TestEngineNamedInSettings):
    @pytest.fixture(autouse=True)
    def custom(self, settings):
        settings.NEWSDESK_RELATED_ENGINE = f"{__name__}.NoFeedbackEngine"

    def test_the_factory_makes_and_loads_the_custom_class(self, make_engine, load):
        engine = make_engine()
        engine.build(CORPUS)
        loaded = load(engine.to_bytes())
        # Loading through the built-in class would give back a RelatedEngine.
        assert type(engine) is NoFeedbackEngine
        assert type(loaded) is NoFeedbackEngine
        assert loaded.config.feedback == 0

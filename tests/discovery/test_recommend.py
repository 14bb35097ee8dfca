"""Recommendation engine (pure) and its prequential MIND evaluation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from newsdesk.discovery.engines.recommend import (
    Article,
    Read,
    RecommendationEngine,
)
from newsdesk_evaluation import recommend as evaluation
from newsdesk_evaluation.recommend_metrics import auc, mrr, ndcg

HOUR = 3600.0
NOW = 100 * HOUR


def site() -> RecommendationEngine:
    """Two sport and two politics stories, one music piece, all published recently."""
    engine = RecommendationEngine()

    def art(id, category, hours_ago, title, group=None):
        return Article(
            id,
            category=category,
            published=NOW - hours_ago * HOUR,
            group=group,
            title=title,
        )

    articles = [
        art("s1", "sport", 2, "Cup final ends in penalty drama"),
        art("s2", "sport", 3, "Penalty drama as cup holders exit"),
        art("s3", "sport", 1, "Storm stops match", group="storm"),
        art("p1", "politics", 2, "Budget vote delayed again"),
        art("p2", "politics", 1, "Storm aid row", group="storm"),
        art("m1", "music", 5, "Band announces reunion tour"),
    ]
    for article in articles:
        engine.add_article(article)
    return engine


def test_engine_modules_do_not_import_django():
    code = (
        "import sys\n"
        "import newsdesk.discovery.engines.recommend\n"
        "import newsdesk.discovery.engines.recommend_vectors\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or "
        "m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_excludes_read_current_withdrawn_and_group_siblings():
    engine = site()
    engine.withdraw("m1")
    ids = [
        r.article_id
        for r in engine.recommend([Read("s1", NOW - HOUR)], NOW, limit=10, current="s3")
    ]
    assert "s1" not in ids  # already read
    assert "s3" not in ids  # current
    assert "m1" not in ids  # withdrawn
    assert "p2" not in ids  # same duplicate group as the current article
    assert set(ids) == {"s2", "p1"}


def test_explicit_exclude_is_honoured():
    ids = [r.article_id for r in site().recommend([], NOW, limit=10, exclude=["p1"])]
    assert "p1" not in ids and ids


def test_cold_start_is_trending_per_category_and_diverse():
    engine = site()
    for _ in range(30):
        engine.record_impression(["s1", "s2", "p1", "m1"], NOW - HOUR)
    for _ in range(10):
        engine.record_view("s1", NOW - HOUR)
        engine.record_view("s2", NOW - HOUR)
    recs = engine.recommend([], NOW, limit=3)
    assert [r.article_id for r in recs][0] == "s1" or recs[0].article_id == "s2"
    categories = [engine_category(r.article_id) for r in recs]
    assert len(set(categories)) == 3, categories
    # Only what readers opened is "popular"; the rest is there for being new.
    for r in recs:
        viewed = r.article_id in ("s1", "s2")
        assert r.reason.kind == ("trending" if viewed else "latest"), r
    assert recs[0].reason.text == "Popular in Sport"
    assert all(r.reason.text.startswith("New in ") for r in recs[1:])


def engine_category(article_id: str) -> str:
    return article_id[0]


def test_one_article_per_story():
    engine = site()
    recs = engine.recommend([], NOW, limit=6)
    ids = [r.article_id for r in recs]
    assert not {"s3", "p2"} <= set(ids)


def test_content_affinity_gives_because_you_read_reason():
    engine = site()
    recs = engine.recommend([Read("s1")], NOW, limit=1)
    assert recs[0].article_id == "s2"  # shares "penalty drama" and "cup"
    assert recs[0].reason.kind == "because_you_read"
    assert recs[0].reason.text == "Because you read “Cup final ends in penalty drama”"
    assert recs[0].reason.article_id == "s1"


def test_coreading_lifts_what_readers_of_x_also_read():
    engine = RecommendationEngine()
    for i in range(20):
        engine.add_article(Article(f"a{i}", published=NOW - HOUR))
    for _ in range(5):
        engine.record_view("a7", NOW - HOUR, history=["a0"])
    for i in range(1, 20):
        engine.record_view(f"a{i}", NOW - HOUR, history=[f"a{(i + 3) % 20}"])
    scores = engine.score([f"a{i}" for i in range(1, 20)], ["a0"], NOW)
    assert int(np.argmax(scores)) == 6  # a7
    recs = engine.recommend(["a0"], NOW, limit=1)
    assert recs[0].article_id == "a7"
    assert recs[0].reason.kind == "readers_also_read"


def test_recent_clickthrough_beats_old_counts():
    engine = RecommendationEngine()
    for name in ("old", "new"):
        engine.add_article(Article(name, published=NOW - 50 * HOUR))
    for _ in range(40):
        engine.record_impression(["old"], NOW - 48 * HOUR)
        engine.record_view("old", NOW - 48 * HOUR)
    for _ in range(20):
        engine.record_impression(["old", "new"], NOW - HOUR)
    for _ in range(5):
        engine.record_view("new", NOW - HOUR)
    old, new = engine.score(["old", "new"], [], NOW)
    assert new > old


def test_last_hour_outweighs_the_same_evidence_a_day_earlier():
    engine = RecommendationEngine()
    for name in ("earlier", "now"):
        engine.add_article(Article(name, published=NOW - 30 * HOUR))
    for name, at in (("earlier", NOW - 24 * HOUR), ("now", NOW - HOUR / 2)):
        for _ in range(10):
            engine.record_impression([name], at)
        for _ in range(3):
            engine.record_view(name, at)
    earlier, now = engine.score(["earlier", "now"], [], NOW)
    assert now > earlier


def test_a_new_article_inherits_what_articles_of_its_age_get():
    engine = RecommendationEngine()
    # Fresh articles are clicked, day-old ones are not: the site learns that.
    for i in range(20):
        engine.add_article(Article(f"young{i}", published=NOW - HOUR / 2))
        engine.add_article(Article(f"aged{i}", published=NOW - 30 * HOUR))
        engine.record_impression([f"young{i}", f"aged{i}"], NOW - HOUR / 4)
        engine.record_view(f"young{i}", NOW - HOUR / 4)
    engine.add_article(Article("young", published=NOW - HOUR / 2))
    engine.add_article(Article("aged", published=NOW - 30 * HOUR))
    young, aged = engine.score(["young", "aged"], [], NOW)
    assert young > aged
    # Without a publication date, age counts from the first time it was shown.
    engine.add_article(Article("undated"))
    engine.add_article(Article("undated_old"))
    engine.record_impression(["undated"], NOW - HOUR / 2)
    engine.record_impression(["undated_old"], NOW - 30 * HOUR)
    undated, undated_old = engine.score(["undated", "undated_old"], [], NOW)
    assert undated > undated_old


def test_an_article_the_reader_left_unopened_is_demoted_not_hidden():
    engine = site()
    plain = engine.score(["p1", "s1"], [], NOW)
    skipped = engine.score(["p1", "s1"], [], NOW, skipped=["p1", "unknown"])
    penalty = engine.config.skip_penalty
    assert skipped[0] == pytest.approx(plain[0] - penalty)
    assert skipped[1] == pytest.approx(plain[1])
    assert "p1" in [r.article_id for r in engine.recommend([], NOW, skipped=["p1"])]


def test_incremental_state_and_unknown_ids():
    engine = site()
    before = engine.score(["p1", "zzz"], [], NOW)
    engine.record_impression(["p1"], NOW)
    engine.record_view("p1", NOW)
    after = engine.score(["p1", "zzz"], [], NOW)
    assert after[0] > before[0]
    assert np.isfinite(after[1])


def test_naive_datetime_is_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        site().recommend([], datetime(2024, 1, 1))  # noqa: DTZ001


def test_metrics_match_mind_definitions():
    labels = np.array([0, 1, 0, 1])
    scores = np.array([0.9, 0.8, 0.1, 0.2])
    assert auc(labels, scores) == pytest.approx(0.5)
    assert mrr(labels, scores) == pytest.approx((1 / 2 + 1 / 3) / 2)
    ideal = 1 + 1 / np.log2(3)
    assert ndcg(labels, scores, 5) == pytest.approx((1 / np.log2(3) + 0.5) / ideal)


def write_behaviors(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


class SpyEngine(RecommendationEngine):
    """Records, for each scoring, how many clicks the engine had already seen."""

    def __init__(self):
        super().__init__()
        self.views = 0
        self.seen_at_scoring: list[int] = []

    def record_view(self, *args, **kwargs):
        self.views += 1
        super().record_view(*args, **kwargs)

    def score(self, *args, **kwargs):
        self.seen_at_scoring.append(self.views)
        return super().score(*args, **kwargs)


def test_replay_never_peeks_at_the_present_or_future(tmp_path):
    t1, t2 = "11/9/2019 1:00:00 AM", "11/9/2019 2:00:00 AM"
    path = write_behaviors(
        tmp_path / "behaviors.tsv",
        [
            # Listed out of order: the replay sorts by time.
            f"3\tU3\t{t2}\t\tN1-0 N2-1",
            f"1\tU1\t{t1}\tH1\tN1-1 N2-0",
            f"2\tU2\t{t1}\tH2\tN1-1 N2-0",
        ],
    )
    spy = SpyEngine()
    figures = evaluation.evaluate(path, engine=spy, progress=False)
    assert figures["impressions"] == 3
    # Both t1 impressions are scored before either click is learned; t2 sees both.
    assert spy.seen_at_scoring == [0, 0, 2]


def test_a_click_cannot_raise_its_own_impressions_score(tmp_path):
    rows = [f"{i}\tU{i}\t11/9/2019 {i}:00:00 AM\t\tN1-0 N2-0 N3-1" for i in (1, 2)]
    clicked_first = [r.replace("N3-1", "N3-0").replace("N1-0", "N1-1") for r in rows]
    one = evaluation.evaluate(
        write_behaviors(tmp_path / "a.tsv", rows[:1] + clicked_first[1:]),
        progress=False,
    )
    two = evaluation.evaluate(
        write_behaviors(tmp_path / "b.tsv", clicked_first[:1] + clicked_first[1:]),
        progress=False,
    )
    # The second impression is identical in both files and only the first one's
    # click differs, so a replay that learned from impression 2 before scoring it
    # could not tell; what it may see differs only through impression 1.
    engine_a, engine_b = SpyEngine(), SpyEngine()
    evaluation.evaluate(tmp_path / "a.tsv", engine=engine_a, progress=False)
    evaluation.evaluate(tmp_path / "b.tsv", engine=engine_b, progress=False)
    assert engine_a.seen_at_scoring == engine_b.seen_at_scoring == [0, 1]
    assert one["impressions"] == two["impressions"] == 2


def test_replay_tells_the_engine_what_each_reader_left_unopened(tmp_path):
    path = write_behaviors(
        tmp_path / "behaviors.tsv",
        [
            "1\tU1\t11/9/2019 1:00:00 AM\t\tN1-1 N2-0",
            "2\tU2\t11/9/2019 2:00:00 AM\t\tN1-1 N2-0",
            "3\tU1\t11/9/2019 3:00:00 AM\t\tN2-1 N3-0",
        ],
    )
    given: list[set] = []

    class Spy(RecommendationEngine):
        def score(self, *args, skipped=(), **kwargs):
            given.append(set(skipped))
            return super().score(*args, skipped=skipped, **kwargs)

    evaluation.evaluate(path, engine=Spy(), progress=False)
    assert given == [set(), set(), {"N2"}]


def test_context_is_replayed_but_not_scored(tmp_path):
    mind = tmp_path / "mind"
    mind.mkdir()
    write_behaviors(
        mind / "behaviors.tsv", ["9\tU9\t11/10/2019 1:00:00 AM\t\tN1-1 N2-0"]
    )
    context = write_behaviors(
        tmp_path / "context.tsv", ["8\tU8\t11/9/2019 1:00:00 AM\t\tN1-1 N2-0"]
    )
    spy = SpyEngine()
    figures = evaluation.evaluate(
        mind / "behaviors.tsv", context=[context], engine=spy, progress=False
    )
    assert figures["impressions"] == 1
    assert spy.seen_at_scoring == [1]
    assert figures["engine"]["auc"] == 1.0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1\tU1\t11/9/2019 1:00:00 AM\tN1-1", "expected 5 tab-separated columns"),
        ("1\tU1\tyesterday\t\tN1-1 N2-0", "is not MIND's"),
        ("1\tU1\t11/9/2019 1:00:00 AM\t\tN1-2 N2-0", "'NEWSID-0' or 'NEWSID-1'"),
    ],
)
def test_bad_input_says_what_to_fix(tmp_path, row, message):
    write_behaviors(tmp_path / "behaviors.tsv", [row])
    with pytest.raises(ValueError, match=message):
        evaluation.run({"mind": tmp_path}, stderr=None)


def test_missing_folder_is_an_oserror(tmp_path):
    with pytest.raises(OSError, match="behaviors.tsv"):
        evaluation.run({"mind": tmp_path / "nope"}, stderr=None)


def test_engine_beats_smoothed_ctr_on_a_slice_of_mind(shared_data, tmp_path):
    source = shared_data("mind-small-sample")
    lines = (source / "behaviors.tsv").read_text(encoding="utf-8").splitlines()
    mind = tmp_path / "mind"
    mind.mkdir()
    (mind / "behaviors.tsv").write_text("\n".join(lines[:1200]) + "\n")
    (mind / "news.tsv").write_bytes((source / "news.tsv").read_bytes())
    figures = evaluation.run({"mind": mind}, stderr=None)
    engine, ctr = figures["engine"], figures["baselines"]["ctr"]
    assert figures["impressions"] > 1000
    assert engine["auc"] > ctr["auc"]
    assert engine["ndcg@10"] > ctr["ndcg@10"]
    assert engine["auc"] > figures["baselines"]["random"]["auc"] + 0.05

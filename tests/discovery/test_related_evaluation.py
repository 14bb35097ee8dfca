"""`evaluate related`: the output contract, bad input, and real data slices."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from newsdesk_evaluation import related
from newsdesk_evaluation.ranking import (
    average_precision_at,
    ndcg_at,
    pair_scores,
    precision_at,
)

TESTDATA = Path(__file__).parent / "testdata" / "related"


def evaluate(*args: str) -> dict:
    out = io.StringIO()
    call_command("evaluate", "related", *args, stdout=out, stderr=io.StringIO())
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_metrics_by_hand():
    ranked = ["a", "x", "b", "y", "z"]
    rel = {"a", "b", "c"}
    assert precision_at(ranked, rel, 5) == pytest.approx(2 / 5)
    assert average_precision_at(ranked, rel, 10) == pytest.approx((1 + 2 / 3) / 3)
    ideal = 1 + 1 / 1.584962500721156 + 1 / 2
    assert ndcg_at(ranked, rel, 10) == pytest.approx((1 + 1 / 2) / ideal)
    assert pair_scores([("a", "b"), ("c", "d")], [("b", "a")]) == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(0.6667),
    }


def test_cli_output_contract_on_handmade_data():
    figures = evaluate(
        "--data",
        str(TESTDATA / "mini.jsonl"),
        "--pairs",
        str(TESTDATA / "mini_pairs.csv"),
        "--stories",
    )
    assert figures["n"] == 10  # two unlabelled distractors are not queries
    assert figures["corpus"] == 12
    for block in (
        figures["engine"],
        *figures["baselines"].values(),
    ):
        assert set(block) == {"p@5", "map@10", "ndcg@10"}
    assert set(figures["baselines"]) == {"same_category_newest", "tfidf"}
    # s4 is a copy of s1: a list shows one member of a duplicate group (the page
    # shows the rest as "Also reported by"), so the four Ciara queries find 2 of
    # their 3 relevant articles; the six others are perfect.
    assert figures["engine"]["map@10"] == pytest.approx((6 + 4 * 2 / 3) / 10, abs=1e-3)
    assert figures["duplicates"]["f1"] == 1.0
    assert figures["stories"]["f1"] == 1.0
    assert figures["stories"]["clusters"] == 3
    streaming = figures["stories_streaming"]
    assert set(streaming) == {"precision", "recall", "f1", "clusters", "gold_clusters"}
    assert streaming["precision"] == 1.0 and streaming["gold_clusters"] == 3


def test_cli_reports_bad_input_clearly(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        evaluate("--data", str(tmp_path / "missing.csv"))
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="UCI News Aggregator header"):
        evaluate("--data", str(wrong))
    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text('{"id": 1, "title": "x", "published": "2026-01-01"}\n')
    with pytest.raises(CommandError, match="story label"):
        evaluate("--data", str(unlabelled))
    with pytest.raises(CommandError, match="id_a,id_b"):
        evaluate("--data", str(TESTDATA / "mini.jsonl"), "--pairs", str(wrong))


def run(**options) -> dict:
    return related.run({"limit": None, "data": None, "pairs": None, **options})


def test_engine_beats_baselines_on_a_uci_slice(shared_data):
    path = shared_data("uci-news-aggregator-sample") / "news_aggregator_sample.csv"
    figures = run(data=path, limit=1500)
    engine, tfidf = figures["engine"], figures["baselines"]["tfidf"]
    assert figures["n"] > 1000
    assert engine["map@10"] > tfidf["map@10"]
    assert engine["p@5"] > tfidf["p@5"]
    assert engine["map@10"] > figures["baselines"]["same_category_newest"]["map@10"]


def test_engine_beats_tfidf_on_a_current_events_slice(shared_data):
    path = shared_data("wikipedia-current-events-2026") / "items.jsonl"
    figures = run(data=path, limit=800)
    assert figures["n"] > 200
    assert figures["engine"]["map@10"] > figures["baselines"]["tfidf"]["map@10"]


def test_msrp_duplicates_report_the_configured_threshold(shared_data, tmp_path):
    source = shared_data("msr-paraphrase") / "msr_paraphrase_train.txt"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    small = tmp_path / "msrp.txt"
    small.write_text("\n".join(lines[:400]) + "\n", encoding="utf-8")
    dups = run(pairs=small)["duplicates"]
    assert dups["layout"] == "msrp"
    assert dups["pairs"] == 399
    assert dups["threshold"] == related.RelatedEngine().config.duplicates.threshold
    # Paraphrases are not copies: few are flagged, but what is flagged is right.
    assert dups["precision"] > 0.7


def test_streaming_stories_on_a_uci_slice(shared_data):
    # Stories of the first 1,500 headlines, published one by one: clusters are
    # precise and gather most of each story (the old parent chains: recall 0.28).
    path = shared_data("uci-news-aggregator-sample") / "news_aggregator_sample.csv"
    items = related.read_labelled(path, limit=1500)
    stories = related.stream_stories([it.article for it in items])
    gold = {it.article.id: it.label for it in items}
    figures = related.bcubed(gold, {i: stories.story_of(i) for i in gold})
    assert figures["precision"] >= 0.88  # measured 0.911
    assert figures["recall"] >= 0.7  # measured 0.756

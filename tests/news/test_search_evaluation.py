"""`evaluate search`: the output contract, bad input, and the engine against plain
bm25 on handmade briefs (and on the shared Wikipedia data when present)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from newsdesk_evaluation import search as evaluation

TESTDATA = Path(__file__).parent / "testdata"
REPO = Path(__file__).resolve().parents[2]


def test_topics_become_queries():
    items = evaluation.read_items(TESTDATA / "search_briefs.jsonl")
    queries = dict(evaluation.topic_queries(items, min_items=3))
    assert set(queries) == {
        "Russo-Ukrainian war",
        "2025–26 European windstorm season",
        "2026 Canadian wildfires",
    }
    assert queries["Russo-Ukrainian war"] == {"b1", "b2", "b3", "b4"}


@pytest.mark.django_db
def test_engine_and_baselines_on_handmade_briefs():
    items = evaluation.read_items(TESTDATA / "search_briefs.jsonl")
    figures = evaluation.evaluate(items, min_items=3, stream=io.StringIO())
    assert figures["queries"] == 3 and figures["items"] == 14
    assert set(figures["baselines"]) == {"bm25", "bm25_and"}
    for block in (figures["engine"], *figures["baselines"].values()):
        assert set(block) == {"ndcg@10", "mrr", "recall@10"}
        assert all(0.0 <= v <= 1.0 for v in block.values())
    # "Canadian" finds "Canada"; no brief says "windstorm season" or "Russo".
    assert figures["engine"]["ndcg@10"] > figures["baselines"]["bm25"]["ndcg@10"]
    assert figures["baselines"]["bm25_and"]["recall@10"] < 0.5


def test_bad_input_is_reported_clearly(tmp_path):
    def run(path):
        call_command("evaluate", "search", "--data", str(path), stdout=io.StringIO())

    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "title": "t", "published": "yesterday"}\n')
    with pytest.raises(CommandError, match="bad published"):
        run(bad)
    none = tmp_path / "none.jsonl"
    none.write_text('{"id": "x", "title": "t", "published": "2026-01-01"}\n')
    with pytest.raises(CommandError, match="no topic"):
        run(none)


def test_cli_prints_one_json_line(tmp_path):
    """End to end in a process of its own: the command makes and drops its own
    throwaway database (never the test runner's)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "NEWSDESK_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
    }
    if os.environ.get("NEWSDESK_TEST_DATABASE_URL"):
        env["NEWSDESK_DATABASE_URL"] = os.environ["NEWSDESK_TEST_DATABASE_URL"]
    done = subprocess.run(
        [sys.executable, "-m", "newsdesk", "evaluate", "search", "--data",
         str(TESTDATA / "search_briefs.jsonl")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["queries"] == 3
    assert set(figures) >= {"queries", "engine", "baselines"}
    assert not (tmp_path / "newsdesk.sqlite3").exists() or os.environ.get(
        "NEWSDESK_TEST_DATABASE_URL"
    )

"""Replay MIND impressions in time order and score the recommendation engine.

Prequential protocol: impressions are replayed oldest first and each one is scored
using only what happened strictly before its timestamp (earlier impressions, clicks
and reader histories), as a live site would; impressions sharing a timestamp are all
scored before any of them is learned from. Context files are replayed as earlier
history but not scored. AUC, MRR, nDCG@5 and nDCG@10 are computed per impression and
averaged, for the engine and for three baselines fed the same events: random, click
counts and Beta-smoothed click-through rate.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from newsdesk.discovery.engines.recommend import Article, RecommendationEngine

from .recommend_metrics import METRICS, impression_metrics

# Impressions the smoothed-CTR baseline's Beta prior is worth.
BASELINE_CTR_PRIOR = 10.0


@dataclass(frozen=True, slots=True)
class Impression:
    id: str
    user: str
    at: float
    history: tuple[str, ...]
    candidates: tuple[str, ...]
    labels: tuple[int, ...]
    scored: bool


@dataclass(frozen=True, slots=True)
class News:
    id: str
    category: str
    subcategory: str
    title: str
    abstract: str


def add_arguments(parser) -> None:
    parser.add_argument(
        "--mind",
        required=True,
        help="folder with MIND behaviors.tsv (scored) and, optionally, news.tsv",
    )
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="BEHAVIORS_FILE",
        help="extra MIND behaviors file replayed as earlier history, not scored; "
        "may be repeated",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for tie-breaking and the random baseline",
    )


def _parse_time(text: str, where: str) -> float:
    try:
        naive = datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")  # noqa: DTZ007
    except ValueError:
        raise ValueError(
            f"{where}: time {text!r} is not MIND's 'M/D/YYYY h:mm:ss AM/PM'"
        ) from None
    # MIND gives no zone; only the order and the gaps matter, so read it as UTC.
    return naive.replace(tzinfo=UTC).timestamp()


def read_behaviors(path: Path, *, scored: bool) -> Iterator[Impression]:
    """Parse a MIND behaviors.tsv; raises ValueError naming the line at fault."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            where = f"{path}:{number}"
            fields = line.split("\t")
            if len(fields) != 5:
                raise ValueError(
                    f"{where}: expected 5 tab-separated columns (impression_id, "
                    f"user_id, time, history, impressions), found {len(fields)}"
                )
            impression_id, user, time, history, shown = fields
            candidates, labels = [], []
            for token in shown.split():
                news_id, _, label = token.rpartition("-")
                if not news_id or label not in ("0", "1"):
                    raise ValueError(
                        f"{where}: impression item {token!r} is not 'NEWSID-0' or "
                        "'NEWSID-1'"
                    )
                candidates.append(news_id)
                labels.append(int(label))
            yield Impression(
                impression_id,
                user,
                _parse_time(time, where),
                tuple(history.split()),
                tuple(candidates),
                tuple(labels),
                scored,
            )


def read_news(path: Path) -> dict[str, News]:
    """Parse a MIND news.tsv (entity columns are ignored and may be absent)."""
    news = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) == 1 and not fields[0].strip():
                continue
            if len(fields) < 4:
                raise ValueError(
                    f"{path}:{number}: expected at least 4 tab-separated columns "
                    f"(news_id, category, subcategory, title), found {len(fields)}"
                )
            abstract = fields[4] if len(fields) > 4 else ""
            news[fields[0]] = News(fields[0], fields[1], fields[2], fields[3], abstract)
    return news


class Baselines:
    """Non-personal scorers fed the same past events as the engine."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.clicks: Counter[str] = Counter()
        self.shown: Counter[str] = Counter()
        self.total_clicks = 0
        self.total_shown = 0

    def scores(self, candidates: tuple[str, ...]) -> dict[str, np.ndarray]:
        prior = BASELINE_CTR_PRIOR
        # Before any click, fall back to a typical news click-through rate.
        mean = (self.total_clicks + 0.05 * prior) / (self.total_shown + prior)
        clicks = np.array([self.clicks[c] for c in candidates], dtype=float)
        shown = np.array([self.shown[c] for c in candidates], dtype=float)
        return {
            "random": self.rng.random(len(candidates)),
            "clicks": clicks,
            "ctr": (clicks + prior * mean) / (shown + prior),
        }

    def learn(self, impression: Impression) -> None:
        for candidate, label in zip(
            impression.candidates, impression.labels, strict=True
        ):
            self.shown[candidate] += 1
            self.clicks[candidate] += label
        self.total_shown += len(impression.candidates)
        self.total_clicks += sum(impression.labels)


class Replay:
    """Feeds impressions to the engine the way a live site would see them."""

    def __init__(self, engine: RecommendationEngine, news: dict[str, News]) -> None:
        self.engine = engine
        self.news = news
        self.clicked: dict[str, list[str]] = {}
        # Per reader, what the site showed them and they left unopened; a live
        # site knows what it displayed to whom.
        self.skipped: dict[str, set[str]] = {}
        self.users_seen: set[str] = set()

    def _article(self, news_id: str, published_at: float | None) -> None:
        if news_id in self.engine:
            return
        item = self.news.get(news_id)
        if item is None:
            self.engine.add_article(Article(news_id, published=published_at))
        else:
            self.engine.add_article(
                Article(
                    news_id,
                    category=item.category,
                    published=published_at,
                    title=item.title,
                    standfirst=item.abstract,
                )
            )

    def history(self, impression: Impression) -> list[str]:
        return [*impression.history, *self.clicked.get(impression.user, ())]

    def score(self, impression: Impression) -> np.ndarray:
        return self.engine.score(
            impression.candidates,
            self.history(impression),
            impression.at,
            skipped=self.skipped.get(impression.user, ()),
        )

    def prepare(self, impression: Impression) -> None:
        """Register the articles an impression mentions, before it is scored.

        A live site knows the articles it shows. Articles first met in a history were
        read before the log began, so their publication time is unknown (old);
        articles first met as candidates are taken as published when first shown.
        """
        for news_id in impression.history:
            self._article(news_id, None)
        for news_id in impression.candidates:
            self._article(news_id, impression.at)

    def learn(self, impression: Impression) -> None:
        engine = self.engine
        if impression.user not in self.users_seen:
            self.users_seen.add(impression.user)
            engine.observe_history(impression.history)
        engine.record_impression(impression.candidates, impression.at)
        history = self.history(impression)
        for news_id, label in zip(
            impression.candidates, impression.labels, strict=True
        ):
            if label:
                engine.record_view(news_id, impression.at, history=history)
                history.append(news_id)
                self.clicked.setdefault(impression.user, []).append(news_id)
            else:
                self.skipped.setdefault(impression.user, set()).add(news_id)


def _batches(impressions: list[Impression]) -> Iterable[list[Impression]]:
    start = 0
    while start < len(impressions):
        end = start
        while end < len(impressions) and impressions[end].at == impressions[start].at:
            end += 1
        yield impressions[start:end]
        start = end


def evaluate(
    behaviors: Path,
    *,
    news: dict[str, News] | None = None,
    context: Iterable[Path] = (),
    seed: int = 0,
    engine: RecommendationEngine | None = None,
    progress=None,
) -> dict[str, Any]:
    """Replay and score; returns the figures of the output contract."""
    impressions = [i for path in context for i in read_behaviors(path, scored=False)]
    impressions += read_behaviors(behaviors, scored=True)
    # Stable sort: context comes first among impressions with equal timestamps.
    impressions.sort(key=lambda i: i.at)
    replay = Replay(
        engine if engine is not None else RecommendationEngine(), news or {}
    )
    baselines = Baselines(seed)
    rng = np.random.default_rng(seed + 1)
    totals: dict[str, list[tuple[float, ...]]] = {
        name: [] for name in ("engine", "random", "clicks", "ctr")
    }
    bar = tqdm(
        total=len(impressions),
        desc="replaying impressions",
        unit="imp",
        file=progress,
        disable=progress is False,
    )
    with bar:
        for batch in _batches(impressions):
            for impression in batch:
                replay.prepare(impression)
            for impression in batch:
                labels = np.array(impression.labels)
                if not impression.scored or labels.min() == labels.max():
                    continue
                scores = baselines.scores(impression.candidates)
                scores["engine"] = replay.score(impression)
                # Shuffle so that ties are broken at random, not by logged position.
                order = rng.permutation(len(labels))
                for name, values in scores.items():
                    totals[name].append(
                        impression_metrics(labels[order], np.asarray(values)[order])
                    )
            for impression in batch:
                replay.learn(impression)
                baselines.learn(impression)
            bar.update(len(batch))

    def summary(rows: list[tuple[float, ...]]) -> dict[str, float]:
        means = np.mean(rows, axis=0) if rows else [float("nan")] * len(METRICS)
        return {m: round(float(v), 4) for m, v in zip(METRICS, means, strict=True)}

    return {
        "impressions": len(totals["engine"]),
        "engine": summary(totals["engine"]),
        "baselines": {
            name: summary(totals[name]) for name in ("random", "clicks", "ctr")
        },
    }


def run(options: dict[str, Any], stderr=None) -> dict[str, Any]:
    folder = Path(options["mind"])
    behaviors = folder / "behaviors.tsv"
    if not behaviors.is_file():
        raise OSError(
            f"{behaviors} not found: --mind must be a folder holding MIND's "
            "behaviors.tsv (and optionally news.tsv)"
        )
    context = [Path(p) for p in options.get("context") or []]
    for path in context:
        if not path.is_file():
            raise OSError(f"--context {path}: no such file")
    news_path = folder / "news.tsv"
    news = read_news(news_path) if news_path.is_file() else {}
    # Django's OutputWrapper appends a newline to every write, which breaks the
    # progress bar's carriage returns; write to the stream it wraps.
    stream = getattr(stderr, "_out", stderr) or sys.stderr
    if not news:
        print(f"{news_path} missing or empty: scoring without content", file=stream)
    return evaluate(
        behaviors,
        news=news,
        context=context,
        seed=int(options.get("seed") or 0),
        progress=stream,
    )

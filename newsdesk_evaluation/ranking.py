"""Ranking and pair-classification metrics (pure functions, binary relevance).

Conventions, stated once so figures are comparable across runs:

- P@k divides by k, even when fewer than k results were returned (a short list
  is not rewarded).
- AP@k sums P@i at each relevant rank i <= k and divides by min(R, k), R being
  the number of relevant items; MAP@k is its mean over queries.
- nDCG@k uses gains 1/log2(rank + 1) and the ideal list of min(R, k) hits.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence


def precision_at(
    ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int
) -> float:
    return sum(1 for r in ranked[:k] if r in relevant) / k


def average_precision_at(
    ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int
) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k)


def ndcg_at(
    ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int
) -> float:
    if not relevant:
        return 0.0
    dcg = sum(
        1.0 / math.log2(i + 1)
        for i, item in enumerate(ranked[:k], start=1)
        if item in relevant
    )
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


class RankingScores:
    """Accumulates P@5, MAP@10 and nDCG@10 over queries."""

    def __init__(self) -> None:
        self.p5: list[float] = []
        self.ap10: list[float] = []
        self.ndcg10: list[float] = []

    def add(self, ranked: Sequence[Hashable], relevant: Collection[Hashable]) -> None:
        self.p5.append(precision_at(ranked, relevant, 5))
        self.ap10.append(average_precision_at(ranked, relevant, 10))
        self.ndcg10.append(ndcg_at(ranked, relevant, 10))

    def summary(self) -> dict[str, float | None]:
        def mean(values: list[float]) -> float | None:
            return round(sum(values) / len(values), 4) if values else None

        return {
            "p@5": mean(self.p5),
            "map@10": mean(self.ap10),
            "ndcg@10": mean(self.ndcg10),
        }


def pair_scores(
    predicted: Iterable[tuple[Hashable, Hashable]],
    gold: Iterable[tuple[Hashable, Hashable]],
) -> dict[str, float]:
    """Precision, recall and F1 of unordered pairs (a, b) == (b, a)."""
    pred = {frozenset(p) for p in predicted}
    true = {frozenset(p) for p in gold}
    tp = len(pred & true)
    precision = tp / len(pred) if pred else 0.0
    recall = tp / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }

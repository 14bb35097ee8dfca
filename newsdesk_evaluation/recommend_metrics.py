"""Per-impression ranking metrics, computed as MIND's official evaluate.py does.

Each function takes the labels (1 = clicked, 0 = shown but not clicked) and the scores
of one impression's candidates. Callers average the per-impression values. Ties in
the rank metrics are broken by candidate order (a stable sort, highest score first),
so callers that want fair tie-breaking shuffle the candidates first; AUC counts ties
as half, like scikit-learn's roc_auc_score.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

METRICS = ("auc", "mrr", "ndcg@5", "ndcg@10")


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U); needs both a click and a non-click."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs at least one clicked and one non-clicked item")
    ranks = rankdata(scores)
    u = ranks[labels == 1].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def _order(scores: np.ndarray) -> np.ndarray:
    # Stable descending order: among equal scores, the earlier candidate ranks first.
    return np.argsort(-scores, kind="stable")


def mrr(labels: np.ndarray, scores: np.ndarray) -> float:
    ranked = labels[_order(scores)]
    return float((ranked / (np.arange(len(ranked)) + 1)).sum() / ranked.sum())


def _dcg(ranked: np.ndarray, k: int) -> float:
    top = ranked[:k]
    return float(((2.0**top - 1) / np.log2(np.arange(len(top)) + 2)).sum())


def ndcg(labels: np.ndarray, scores: np.ndarray, k: int) -> float:
    ideal = _dcg(np.sort(labels)[::-1], k)
    return _dcg(labels[_order(scores)], k) / ideal


def impression_metrics(labels: np.ndarray, scores: np.ndarray) -> tuple[float, ...]:
    """(auc, mrr, ndcg@5, ndcg@10) of one impression, in METRICS order."""
    return (
        auc(labels, scores),
        mrr(labels, scores),
        ndcg(labels, scores, 5),
        ndcg(labels, scores, 10),
    )

"""Related articles, near-duplicates and story clusters: the pure engine.

No Django here (a test enforces it): articles come in as `Article` dataclasses
(engines/article.py, shared with the recommender) and
results go out as ids or `Match` dataclasses, so a Django adapter only maps ORM
rows to `Article` and stores the bytes of `to_bytes()`.

Public API (`RelatedEngine`)::

    engine = RelatedEngine(RelatedConfig())           # or RelatedEngine()
    engine.build(articles, progress=tqdm)              # bulk load, any order
    engine.add(article)                                # publish: incremental
    engine.update(article)                             # edit: same as add
    engine.remove(article_id)                          # unpublish / delete
    engine.related(article_id, k=5) -> list[Match]     # diversified, thresholded
    engine.duplicates_of(article_id) -> list[id]       # its duplicate group
    engine.is_duplicate(a, b) -> bool
    engine.duplicate_groups() -> list[list[id]]        # every group of 2 or more
    engine.story_of(article_id) -> id                  # the story's first article
    engine.story_members(article_id) -> list[id]       # articles in its story
    data = engine.to_bytes(); RelatedEngine.from_bytes(data)   # persist/share
    article_id in engine; len(engine); engine.ids()

Unknown ids raise KeyError (except `remove`, which ignores them). An engine is
not thread-safe: a process holds one, serialises writes with reads (a lock or
one writer), and after loading calls `gc.freeze()` so the garbage collector
never walks the index. Bytes from `to_bytes` hold only numpy arrays and JSON
(no pickle); several worker processes share an index by loading the same bytes
and applying the same `add`/`remove` calls, or by reloading after a rebuild.

How `related` ranks (each step bounded, so lookup time does not grow with the
corpus):

1. Every article is a sparse TF-IDF vector over words, word prefixes (a cheap
   character n-gram) and word pairs of headline, standfirst, body and tags, with
   fields weighted (a headline word counts more than a body word) and sublinear
   term frequency; only its `max_features` strongest features are kept.
2. Candidates come from an inverted index whose posting lists are ordered by
   publication time: for the article's `query_terms` strongest features, at most
   `window` postings closest in time to the article are read. Common terms thus
   cost the same at 10k or 1M articles; rare terms are read whole.
3. The best `candidates` of those are re-scored with the exact cosine, times a
   recency factor relative to the article's own date and a factor
   (`other_category`) for an article from another section. The recency half-life
   is measured in news flow: the time this collection takes to publish
   `half_life_articles` articles (bounded by `min_half_life_days` and
   `max_half_life_days`); the factor never drops below `recency_floor`.
4. Pseudo-relevance feedback: the article's vector is widened with its
   `feedback` best neighbours (weight `feedback_weight`) and step 2-3 run again,
   so sibling reports that use other words for the same event are found.
5. Scores below `min_score` are dropped (weak matches are worse than none).
6. The list is diversified with MMR (maximal marginal relevance), where the
   penalty only counts similarity above `redundancy`: readers want several
   reports of the story, not the same text twice. Members of the article's own
   duplicate group, or of an already listed article's group, are never listed.

Stories: an article's story parent is its most similar earlier article (by the
same score) if that score reaches `story_threshold`; its story is the root of the
parent chain, named by that root's id. Parents are chosen when first asked and
then kept. (The site's stories come from `stories.StoryEngine`, which clusters
on this engine's vectors and neighbours; these chains stay for callers of this
API.) A link
holds only while its parent is the same version of the same article and still
strictly earlier in (publication time, slot) order; a link broken by an edit or
a delete is chosen again among earlier articles. So every walk goes back in time
and ends: parents cannot form a cycle.

IDF weights are those of the collection when an article is added; `build` (a full
rebuild) recomputes them all. Near-duplicates are `duplicates.DuplicateIndex`
(MinHash/LSH, see there); text features are `text.weighted_features`.
"""

from __future__ import annotations

import io
import json
import zipfile
from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .article import Article, Time, timestamp
from .duplicates import DuplicateConfig, DuplicateIndex
from .text import KIND_WEIGHTS, weighted_features

FORMAT_VERSION = 2
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Match:
    """One related article: `score` is what it was ranked by, `similarity` the
    plain text cosine."""

    id: Hashable
    score: float
    similarity: float


@dataclass(frozen=True, slots=True)
class RelatedConfig:
    """Ranking settings. Defaults are chosen from general news properties (a story
    lives for a stretch of news flow, headlines and names say most, editors file
    a story under one section), not fitted to one data set."""

    title_weight: float = 3.0
    standfirst_weight: float = 2.0
    body_weight: float = 1.0
    tag_weight: float = 2.0
    max_features: int = 64
    query_terms: int = 24
    window: int = 256
    candidates: int = 200
    half_life_articles: float = 1000.0
    min_half_life_days: float = 0.25
    max_half_life_days: float = 60.0
    recency_floor: float = 0.5
    other_category: float = 0.6
    min_score: float = 0.05
    mmr_lambda: float = 0.7
    redundancy: float = 0.6
    story_threshold: float = 0.35
    feedback: int = 3
    feedback_weight: float = 0.5
    duplicates: DuplicateConfig = field(default_factory=DuplicateConfig)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RelatedConfig:
        data = dict(data)
        data["duplicates"] = DuplicateConfig(**data.get("duplicates", {}))
        return cls(**data)


def _timestamp(published: Time | None) -> float:
    """An unknown publication time is the time the article is added."""
    if published is None:
        return datetime.now(UTC).timestamp()
    return timestamp(published)


class _Grow:
    """A numpy array with amortised appends by slot."""

    def __init__(self, dtype: Any, fill: Any = 0) -> None:
        self.a = np.full(64, fill, dtype=dtype)
        self.fill = fill

    def set(self, i: int, value: Any) -> None:
        if i >= len(self.a):
            grown = np.full(max(i + 1, 2 * len(self.a)), self.fill, dtype=self.a.dtype)
            grown[: len(self.a)] = self.a
            self.a = grown
        self.a[i] = value


class _Vectors:
    """Every slot's sparse unit vector in two flat arrays (CSR with holes), so the
    vectors of many slots are gathered with one numpy indexing operation and the
    garbage collector sees two arrays, not two per article. Space left by
    replaced vectors is reclaimed when it outgrows the live part."""

    def __init__(self) -> None:
        self.off = np.zeros(64, np.int64)
        self.len = np.zeros(64, np.int32)
        self.t = np.zeros(1024, np.int32)
        self.w = np.zeros(1024, np.float32)
        self.used = 0
        self.live = 0

    def _slots(self, slot: int) -> None:
        if slot >= len(self.off):
            size = max(slot + 1, 2 * len(self.off))
            self.off = np.concatenate(
                [self.off, np.zeros(size - len(self.off), np.int64)]
            )
            self.len = np.concatenate(
                [self.len, np.zeros(size - len(self.len), np.int32)]
            )

    def get(self, slot: int) -> tuple[np.ndarray, np.ndarray]:
        o, n = int(self.off[slot]), int(self.len[slot])
        return self.t[o : o + n], self.w[o : o + n]

    def set(self, slot: int, t: np.ndarray, w: np.ndarray) -> None:
        self._slots(slot)
        self.clear(slot)
        n = len(t)
        if self.used + n > len(self.t):
            self._repack(extra=n)
        self.t[self.used : self.used + n] = t
        self.w[self.used : self.used + n] = w
        self.off[slot], self.len[slot] = self.used, n
        self.used += n
        self.live += n

    def clear(self, slot: int) -> None:
        if slot < len(self.len):
            self.live -= int(self.len[slot])
            self.len[slot] = 0

    def gather(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(concatenated feature ids, weights, per-slot lengths) of `slots`."""
        lens = self.len[slots].astype(np.int64)
        total = int(lens.sum())
        if not total:
            return np.zeros(0, np.int32), np.zeros(0, np.float32), lens
        shift = self.off[slots] - (np.cumsum(lens) - lens)
        idx = np.repeat(shift, lens) + np.arange(total)
        return self.t[idx], self.w[idx], lens

    def _repack(self, extra: int) -> None:
        slots = np.flatnonzero(self.len)
        t, w, lens = self.gather(slots)
        size = max(2 * (self.live + extra), 1024)
        self.t = np.zeros(size, np.int32)
        self.w = np.zeros(size, np.float32)
        self.t[: len(t)], self.w[: len(w)] = t, w
        self.off[slots] = np.cumsum(lens) - lens
        self.used = self.live = len(t)


class RelatedEngine:
    """Similarity index + duplicate index + story parents over one article set."""

    def __init__(self, config: RelatedConfig | None = None) -> None:
        self.config = config or RelatedConfig()
        self._reset()

    def _reset(self) -> None:
        self._slot: dict[Hashable, int] = {}
        self._ids: list[Hashable] = []
        self._free: list[int] = []
        self._ts = _Grow(np.float64)
        self._alive = _Grow(bool, False)
        self._cat: list[str] = []
        self._vec = _Vectors()  # per slot: kept feature ids and unit-norm weights
        self._vocab: dict[str, int] = {}
        self._df = _Grow(np.int32)
        self._n_docs = 0
        # Per feature id: slots ordered by publication time, and their weights;
        # None until the feature is in some kept vector.
        self._pd: list[array | None] = []
        self._pw: list[array | None] = []
        # Story parents. Every insertion of an article gets a new serial; a parent
        # link records the parent's serial, so it dies with that version of the
        # parent (an edit, a delete, a slot reused by another article).
        self._serial = _Grow(np.int64, -1)
        self._next_serial = 0
        self._story_parent = _Grow(np.int64, -1)  # -1 unknown, -2 root
        self._story_parent_serial = _Grow(np.int64, -1)
        self._dups = DuplicateIndex(self.config.duplicates)
        self._scratch = np.zeros(0, dtype=np.float32)
        self._span: tuple[float, float] | None = None  # (first, last) publication

    # -- helpers ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._slot

    def _raw(self, article: Article) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, sublinear field-weighted tf times kind weight) of an
        article; new features join the vocabulary."""
        c = self.config
        raw = weighted_features(
            [
                (article.title, c.title_weight),
                (article.standfirst, c.standfirst_weight),
                (article.body, c.body_weight),
            ],
            tags=article.tags,
            tag_weight=c.tag_weight,
        )
        vocab = self._vocab
        tids = np.empty(len(raw), np.int32)
        for i, feat in enumerate(raw):
            tid = vocab.get(feat)
            if tid is None:
                tid = vocab[feat] = len(vocab)
            tids[i] = tid
        tf = np.fromiter(raw.values(), np.float64, len(raw))
        kind = np.array([KIND_WEIGHTS[f[0]] for f in raw], np.float64)
        vals = np.maximum(1.0 + np.log(np.maximum(tf, 1e-9)), 0.05) * kind
        return tids, vals.astype(np.float32)

    def _vector(self, tids: np.ndarray, vals: np.ndarray) -> tuple:
        df = self._df.a[tids].astype(np.float64)
        idf = np.log((1.0 + self._n_docs) / (1.0 + df)) + 1.0
        w = vals * idf
        t = tids
        if len(w) > self.config.max_features:
            keep = np.argpartition(-w, self.config.max_features)[
                : self.config.max_features
            ]
            t, w = t[keep], w[keep]
        norm = float(np.sqrt(np.dot(w, w))) or 1.0
        order = np.argsort(t)
        return t[order], (w[order] / norm).astype(np.float32)

    def _text(self, article: Article) -> str:
        return "\n".join(
            p for p in (article.title, article.standfirst, article.body) if p
        )

    def _new_slot(self, article: Article) -> int:
        if self._free:
            slot = self._free.pop()
            self._ids[slot] = article.id
        else:
            slot = len(self._ids)
            self._ids.append(article.id)
            self._cat.append("")
        self._slot[article.id] = slot
        self._alive.set(slot, True)
        self._cat[slot] = article.category or ""
        self._serial.set(slot, self._next_serial)
        self._next_serial += 1
        self._story_parent.set(slot, -1)
        return slot

    def _post_insert(self, slot: int) -> None:
        grow = len(self._vocab) - len(self._pd)
        if grow > 0:
            self._pd.extend([None] * grow)
            self._pw.extend([None] * grow)
        ts = self._ts.a
        when = ts[slot]
        for tid, w in zip(*(v.tolist() for v in self._vec.get(slot)), strict=True):
            docs, weights = self._pd[tid], self._pw[tid]
            if docs is None or weights is None:
                docs = self._pd[tid] = array("i")
                weights = self._pw[tid] = array("f")
            if not docs or ts[docs[-1]] <= when:
                docs.append(slot)
                weights.append(w)
            else:
                at = bisect_left(docs, when, key=lambda d: ts[d])
                docs.insert(at, slot)
                weights.insert(at, w)

    def _post_delete(self, slot: int) -> None:
        ts = self._ts.a
        for tid in self._vec.get(slot)[0].tolist():
            docs, weights = self._pd[tid], self._pw[tid]
            assert docs is not None and weights is not None  # slot is posted
            at = bisect_left(docs, ts[slot], key=lambda d: ts[d])
            while docs[at] != slot:
                at += 1
            del docs[at]
            del weights[at]

    # -- writes -------------------------------------------------------------------
    def add(self, article: Article) -> None:
        """Index one article (or re-index it if its id is known), in milliseconds."""
        if article.id in self._slot:
            self.remove(article.id)
        slot = self._new_slot(article)
        self._ts.set(slot, _timestamp(article.published))
        if self._span is not None:
            when = float(self._ts.a[slot])
            self._span = (min(self._span[0], when), max(self._span[1], when))
        tids, vals = self._raw(article)
        if len(self._vocab) > len(self._df.a):
            self._df.set(len(self._vocab) - 1, 0)
        self._df.a[tids] += 1
        self._n_docs += 1
        self._vec.set(slot, *self._vector(tids, vals))
        self._post_insert(slot)
        self._dups.add(slot, self._text(article))

    update = add

    def remove(self, article_id: Hashable) -> None:
        """Forget an article; unknown ids are ignored."""
        slot = self._slot.pop(article_id, None)
        if slot is None:
            return
        self._post_delete(slot)
        # df counts every feature the article had; the kept vector is a subset, so
        # the counts drift slightly until the next `build`.
        for tid in self._vec.get(slot)[0].tolist():
            self._df.a[tid] -= 1
        self._n_docs -= 1
        self._span = None
        self._dups.remove(slot)
        self._alive.a[slot] = False
        self._vec.clear(slot)
        self._free.append(slot)

    def build(
        self,
        articles: Iterable[Article],
        *,
        progress: Callable[..., Iterable[Article]] | None = None,
        total: int | None = None,
    ) -> None:
        """Replace the whole index with `articles` (a full rebuild).

        `progress`, e.g. `tqdm.tqdm`, wraps the article iterable to show progress.
        """
        self._reset()
        items = (
            progress(articles, total=total, unit="article") if progress else articles
        )
        raw: list[tuple[np.ndarray, np.ndarray]] = []
        for article in items:
            if article.id in self._slot:
                raise ValueError(f"duplicate article id {article.id!r}")
            slot = self._new_slot(article)
            self._ts.set(slot, _timestamp(article.published))
            raw.append(self._raw(article))
            self._dups.add(slot, self._text(article))
        self._n_docs = len(raw)
        if raw:
            counts = np.bincount(
                np.concatenate([tids for tids, _ in raw]), minlength=len(self._vocab)
            )
            self._df.a = counts.astype(np.int32)
        for slot, (tids, vals) in enumerate(raw):
            self._vec.set(slot, *self._vector(tids, vals))
        self._rebuild_postings()

    def _rebuild_postings(self) -> None:
        n = len(self._ids)
        self._pd = [None] * len(self._vocab)
        self._pw = [None] * len(self._vocab)
        terms, weights, lens = self._vec.gather(np.arange(n))
        if not len(terms):
            return
        slots = np.repeat(np.arange(n, dtype=np.int32), lens)
        order = np.lexsort((slots, self._ts.a[slots], terms))
        slots, terms, weights = slots[order], terms[order], weights[order]
        bounds = np.flatnonzero(np.diff(terms)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(terms)]])
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            tid = int(terms[s])
            self._pd[tid] = array("i", slots[s:e].tobytes())
            self._pw[tid] = array("f", weights[s:e].tobytes())

    # -- scoring ------------------------------------------------------------------
    def _cosines(self, query: tuple, cands: np.ndarray) -> np.ndarray:
        """Exact dot product of a unit query vector with each candidate slot."""
        return self._dots(query, *self._vec.gather(cands))

    def _dots(
        self, query: tuple, terms: np.ndarray, weights: np.ndarray, lens: np.ndarray
    ) -> np.ndarray:
        """Dot products of `query` with gathered vectors (see `_Vectors.gather`),
        through a dense scratch row: no BLAS, no per-candidate Python work."""
        if not len(lens):
            return np.zeros(0, np.float32)
        if len(self._scratch) < len(self._vocab):
            size = max(len(self._vocab), 2 * len(self._scratch))
            self._scratch = np.zeros(size, np.float32)
        scratch = self._scratch
        scratch[query[0]] = query[1]
        prod = scratch[terms] * weights
        scratch[query[0]] = 0.0
        if not len(prod):
            return np.zeros(len(lens), np.float32)
        starts = np.cumsum(lens) - lens
        sums = np.add.reduceat(prod, np.minimum(starts, len(prod) - 1))
        return np.where(lens > 0, sums, 0.0)

    def _candidates(self, slot: int, query: tuple) -> np.ndarray:
        """Up to `candidates` slots sharing strong features with `query`, nearest
        in time to `slot` within each posting list; never reads more than
        `query_terms * window` postings."""
        c = self.config
        terms, weights = query
        if not len(terms):
            return np.zeros(0, np.int64)
        top = np.argsort(-weights)[: c.query_terms]
        ts = self._ts.a
        when = ts[slot]
        parts_d, parts_w = [], []
        for i in top.tolist():
            tid = int(terms[i])
            docs = self._pd[tid] if tid < len(self._pd) else None
            post_w = self._pw[tid] if tid < len(self._pw) else None
            if docs is None or post_w is None or len(docs) <= 1:
                continue
            n = len(docs)
            lo, hi = 0, n
            if n > c.window:
                mid = bisect_left(docs, when, key=lambda d: ts[d])
                lo = min(max(0, mid - c.window // 2), n - c.window)
                hi = lo + c.window
            parts_d.append(np.frombuffer(docs, dtype=np.int32)[lo:hi])
            pw = np.frombuffer(post_w, dtype=np.float32)[lo:hi]
            parts_w.append(pw * weights[i])
        if not parts_d:
            return np.zeros(0, np.int64)
        uniq, inv = np.unique(np.concatenate(parts_d), return_inverse=True)
        acc = np.bincount(inv, weights=np.concatenate(parts_w))
        acc[uniq == slot] = -1.0
        if len(uniq) > c.candidates:
            keep = np.argpartition(-acc, c.candidates)[: c.candidates]
            uniq, acc = uniq[keep], acc[keep]
        return uniq[acc > 0].astype(np.int64)

    def _half_life_days(self) -> float:
        """`half_life_articles` worth of this collection's publishing, in days.

        A story's life is measured in news flow, not wall-clock time: a wire
        service turns over a topic in hours, a weekly in weeks. The rate is the
        collection's articles per day over its whole time span.
        """
        c = self.config
        if self._span is None:
            ts = self._ts.a[: len(self._ids)][self._alive.a[: len(self._ids)]]
            self._span = (float(ts.min()), float(ts.max())) if len(ts) else (0.0, 0.0)
        span = (self._span[1] - self._span[0]) / DAY
        if span <= 0:
            return c.max_half_life_days
        days = c.half_life_articles / (self._n_docs / span)
        return min(max(days, c.min_half_life_days), c.max_half_life_days)

    def _recency(self, slot: int, cands: np.ndarray) -> np.ndarray:
        c = self.config
        days = np.abs(self._ts.a[cands] - self._ts.a[slot]) / DAY
        return c.recency_floor + (1 - c.recency_floor) * np.exp2(
            -days / self._half_life_days()
        )

    def _rank(self, slot: int, query: tuple) -> tuple[np.ndarray, ...]:
        cands = self._candidates(slot, query)
        cos = self._cosines(query, cands)
        score = cos * self._recency(slot, cands)
        cat = self._cat[slot]
        if cat:
            other = np.fromiter(
                (self._cat[x] != cat for x in cands.tolist()), bool, len(cands)
            )
            score = np.where(other, score * self.config.other_category, score)
        order = np.argsort(-score, kind="stable")
        return cands[order], score[order], cos[order]

    def _expand(self, slot: int, cands: np.ndarray, score: np.ndarray) -> tuple:
        """Rocchio pseudo-relevance feedback: the article's vector plus the
        score-weighted mean of its `feedback` best neighbours, renormalised. A
        story's vocabulary is wider than one headline; the neighbours supply the
        names and words a sibling report uses instead."""
        c = self.config
        top = cands[: c.feedback]
        if not len(top) or c.feedback_weight <= 0:
            return self._vec.get(slot)
        w = score[: len(top)] / score[: len(top)].sum() * c.feedback_weight
        terms, weights, lens = self._vec.gather(np.concatenate([[slot], top]))
        weights = weights * np.repeat(np.concatenate([[1.0], w]), lens)
        uniq, inv = np.unique(terms, return_inverse=True)
        summed: np.ndarray = np.bincount(inv, weights=weights)
        limit = 2 * c.max_features
        if len(uniq) > limit:
            keep = np.sort(np.argpartition(-summed, limit)[:limit])
            uniq, summed = uniq[keep], summed[keep]
        summed = summed / (np.sqrt(np.dot(summed, summed)) or 1.0)
        return uniq.astype(np.int32), summed.astype(np.float32)

    def _scored(self, slot: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(candidate slots, final scores, cosines), best first, above `min_score`."""
        query = self._vec.get(slot)
        cands, score, cos = self._rank(slot, query)
        if self.config.feedback:
            cands, score, cos = self._rank(slot, self._expand(slot, cands, score))
        keep = score >= self.config.min_score
        return cands[keep], score[keep], cos[keep]

    # -- reads --------------------------------------------------------------------
    def _get_slot(self, article_id: Hashable) -> int:
        try:
            return self._slot[article_id]
        except KeyError:
            raise KeyError(f"article {article_id!r} is not in the index") from None

    def related(self, article_id: Hashable, k: int = 5) -> list[Match]:
        """Up to `k` related articles, best first; fewer when too few are good enough.

        Raises KeyError for an unknown id.
        """
        slot = self._get_slot(article_id)
        cands, score, cos = self._scored(slot)
        c = self.config
        pool = max(5 * k, 50)
        cands, score, cos = cands[:pool], score[:pool], cos[:pool]
        if not len(cands) or k <= 0:
            return []
        banned = self._dups.group(slot)
        available = np.fromiter((x not in banned for x in cands.tolist()), bool)
        pool_terms, pool_weights, pool_lens = self._vec.gather(cands)
        max_sim = np.zeros(len(cands), np.float32)
        chosen: list[int] = []
        while len(chosen) < k and available.any():
            excess = np.clip((max_sim - c.redundancy) / (1 - c.redundancy), 0, None)
            mmr = c.mmr_lambda * score - (1 - c.mmr_lambda) * excess
            best = int(np.argmax(np.where(available, mmr, -np.inf)))
            chosen.append(best)
            available[best] = False
            for dup in self._dups.direct(int(cands[best])):
                available[cands == dup] = False
            max_sim = np.maximum(
                max_sim,
                self._dots(
                    self._vec.get(int(cands[best])), pool_terms, pool_weights, pool_lens
                ),
            )
        return [
            Match(self._ids[cands[p]], float(score[p]), float(cos[p])) for p in chosen
        ]

    def neighbours(
        self, article_id: Hashable, k: int = 50
    ) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
        """The article's `k` best-scored candidates, best first, above `min_score`,
        without diversification or duplicate filtering: (ids, plain cosines with
        the article's own vector, ranking scores). The evidence the story engine
        clusters on. Raises KeyError for an unknown id."""
        slot = self._get_slot(article_id)
        cands, score, _cos = self._scored(slot)
        cands, score = cands[:k], score[:k]
        plain = self._cosines(self._vec.get(slot), cands)
        return [self._ids[s] for s in cands.tolist()], plain, score

    def vector(self, article_id: Hashable) -> tuple[np.ndarray, np.ndarray]:
        """The article's unit TF-IDF vector: (sorted feature ids, weights)."""
        return self._vec.get(self._get_slot(article_id))

    def timestamp(self, article_id: Hashable) -> float:
        """The article's publication time (POSIX seconds)."""
        return float(self._ts.a[self._get_slot(article_id)])

    def half_life_days(self) -> float:
        """The recency half-life in days (see `_half_life_days`)."""
        return self._half_life_days()

    def duplicates_of(self, article_id: Hashable) -> list[Hashable]:
        """Ids of the article's duplicate group (exact and near copies), itself
        excluded, oldest first."""
        slot = self._get_slot(article_id)
        group = sorted(
            self._dups.group(slot) - {slot}, key=lambda s: (self._ts.a[s], s)
        )
        return [self._ids[s] for s in group]

    def duplicate_groups(self) -> list[list[Hashable]]:
        """Every duplicate group of two or more articles, each oldest first."""
        seen: set[int] = set()
        groups = []
        for slot in self._dups.pairs_slots():
            if slot in seen:
                continue
            group = sorted(self._dups.group(slot), key=lambda s: (self._ts.a[s], s))
            seen.update(group)
            groups.append([self._ids[s] for s in group])
        return groups

    def ids(self) -> list[Hashable]:
        """Every indexed article id."""
        return list(self._slot)

    def is_duplicate(self, a: Hashable, b: Hashable) -> bool:
        """Whether two indexed articles are in one duplicate group."""
        return self._get_slot(b) in self._dups.group(self._get_slot(a))

    def _earlier(self, a: int, b: int) -> bool:
        """Whether slot `a` precedes slot `b` in (publication time, slot) order:
        the strict total order every story parent link must follow."""
        ts = self._ts.a
        return bool((ts[a], a) < (ts[b], b))

    def _assign_story(self, slot: int) -> None:
        cands, score, _cos = self._scored(slot)
        parent = -2
        for cand, s in zip(cands.tolist(), score.tolist(), strict=True):
            if s < self.config.story_threshold:
                break
            if self._earlier(cand, slot):
                parent = cand
                break
        self._story_parent.set(slot, parent)
        serial = self._serial.a[parent] if parent >= 0 else -1
        self._story_parent_serial.set(slot, serial)

    def _parent(self, slot: int) -> int:
        """The slot's story parent, or -1 if it starts its story.

        A link counts only while its parent is the same live version of the same
        article (its serial) and still earlier than the child; otherwise (a time
        edit, a delete, a reused slot) the parent is chosen again, among earlier
        articles. Every link followed thus goes strictly back in (time, slot)
        order, so no walk can meet a cycle.
        """
        parent = int(self._story_parent.a[slot])
        if parent >= 0 and not (
            self._alive.a[parent]
            and self._serial.a[parent] == self._story_parent_serial.a[slot]
            and self._earlier(parent, slot)
        ):
            parent = -1
        if parent == -1:
            self._assign_story(slot)
            parent = int(self._story_parent.a[slot])
        return parent if parent >= 0 else -1

    def _story_root(self, slot: int) -> int:
        # Each step goes strictly back in (time, slot) order (see `_parent`), so a
        # walk ends within len(self._ids) steps; the bound only makes that explicit.
        for _ in range(len(self._ids) + 1):
            parent = self._parent(slot)
            if parent < 0:
                return slot
            slot = parent
        raise AssertionError("story parent walk exceeded the number of articles")

    def story_of(self, article_id: Hashable) -> Hashable:
        """The id of the first article of this article's story (itself if it
        starts one)."""
        return self._ids[self._story_root(self._get_slot(article_id))]

    def story_members(self, article_id: Hashable) -> list[Hashable]:
        """Ids of every article in the same story, oldest first. Resolves every
        article's story, so it costs one lookup per unresolved article."""
        root = self._story_root(self._get_slot(article_id))
        members = [s for s in self._slot.values() if self._story_root(s) == root]
        members.sort(key=lambda s: (self._ts.a[s], s))
        return [self._ids[s] for s in members]

    # -- persistence --------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The whole state as bytes (numpy .npz, no pickle): safe to store in a
        database or a file and load in another process with `from_bytes`."""
        n = len(self._ids)
        terms, weights, lens = self._vec.gather(np.arange(n))
        meta = {
            "version": FORMAT_VERSION,
            "config": self.config.to_json(),
            "ids": self._ids,
            "cat": self._cat,
            "free": self._free,
            "n_docs": self._n_docs,
            "next_serial": self._next_serial,
        }
        vocab = sorted(self._vocab, key=self._vocab.__getitem__)
        arrays: dict[str, Any] = {
            "vocab": np.frombuffer("\n".join(vocab).encode(), dtype=np.uint8),
            "df": self._df.a[: len(vocab)],
            "ts": self._ts.a[:n],
            "alive": self._alive.a[:n],
            "story_parent": self._story_parent.a[:n],
            "story_parent_serial": self._story_parent_serial.a[:n],
            "serial": self._serial.a[:n],
            "vec_len": lens,
            "vec_terms": terms,
            "vec_weights": weights,
            **self._dups.to_state(),
        }
        return pack_state(meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> RelatedEngine:
        """Load what `to_bytes` wrote. Raises ValueError on a foreign format."""
        try:
            meta, arrays = unpack_state(data)
        except ValueError as exc:
            raise ValueError(f"not a related-engine index: {exc}") from exc
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"index format {meta.get('version')} is not {FORMAT_VERSION}"
            )
        n = len(meta["ids"])
        per_slot = ("ts", "alive", "story_parent", "story_parent_serial", "serial")
        if any(name not in arrays or len(arrays[name]) != n for name in per_slot):
            raise ValueError("not a related-engine index: per-article arrays differ")
        parents = arrays["story_parent"]
        if len(parents) and (parents.min() < -2 or parents.max() >= n):
            raise ValueError("not a related-engine index: story parent out of range")
        self = cls(RelatedConfig.from_json(meta["config"]))
        self._ids = [_jsonable_id(i) for i in meta["ids"]]
        self._cat = meta["cat"]
        self._free = meta["free"]
        self._n_docs = meta["n_docs"]
        vocab_text = arrays["vocab"].tobytes().decode()
        vocab = vocab_text.split("\n") if vocab_text else []
        self._vocab = {f: i for i, f in enumerate(vocab)}
        self._df.a = arrays["df"].astype(np.int32)
        self._ts.a = arrays["ts"].astype(np.float64)
        self._alive.a = arrays["alive"].astype(bool)
        self._story_parent.a = arrays["story_parent"].astype(np.int64)
        self._story_parent_serial.a = arrays["story_parent_serial"].astype(np.int64)
        self._serial.a = arrays["serial"].astype(np.int64)
        self._next_serial = int(meta["next_serial"])
        lens = arrays["vec_len"].astype(np.int64)
        vec = self._vec
        vec.t = np.array(arrays["vec_terms"], dtype=np.int32)
        vec.w = np.array(arrays["vec_weights"], dtype=np.float32)
        vec.len = lens.astype(np.int32)
        vec.off = np.cumsum(lens) - lens
        vec.used = vec.live = len(vec.t)
        self._slot = {
            self._ids[s]: s
            for s in np.flatnonzero(self._alive.a[: len(self._ids)]).tolist()
        }
        self._rebuild_postings()
        self._dups = DuplicateIndex.from_state(arrays, self.config.duplicates)
        return self


def pack_state(meta: dict, arrays: dict[str, Any]) -> bytes:
    """An engine's state as .npz bytes (no pickle): `meta` as JSON, then arrays."""
    buf = io.BytesIO()
    encoded = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(buf, meta=encoded, **arrays)
    return buf.getvalue()


def unpack_state(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of `pack_state` bytes. Raises ValueError when `data` is
    not such a file (empty, truncated, another format)."""
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
        arrays = {name: npz[name] for name in npz.files}
        return json.loads(arrays.pop("meta").tobytes().decode()), arrays
    except (EOFError, OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc


def _jsonable_id(value: Any) -> Hashable:
    # JSON turns tuples into lists; ids are str or int in practice.
    return tuple(value) if isinstance(value, list) else value


def related_ids(
    engine: RelatedEngine, article_id: Hashable, k: int = 5
) -> list[Hashable]:
    """Convenience: just the ids of `engine.related(article_id, k)`."""
    return [m.id for m in engine.related(article_id, k)]


__all__: Sequence[str] = (
    "Article",
    "Match",
    "RelatedConfig",
    "RelatedEngine",
    "DuplicateConfig",
    "related_ids",
)

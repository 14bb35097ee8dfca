"""Personal recommendations: pure Python + numpy, no Django.

Public API
----------
- `Article` (engines/article.py, shared with the related engine): one article;
  this engine reads `id`, `category`, `published`, `group`, `withdrawn` and
  `vector`, an optional ready-made content vector, otherwise one is built from
  its text (`Article.text()`: title, standfirst, body) by the `VectorSource`.
- `Read(article_id, at)`: one entry of a reader's history (oldest first).
- `RecommendationEngine(config=RecommendConfig(), vectors=None)` keeps aggregate,
  anonymous state only and is updated incrementally, one event at a time:
  - `add_article(article)` (also replaces one), `withdraw(article_id)`;
  - `record_view(article_id, at, history=())`: a reader opened an article; `history`
    is what that reader had read before (feeds "readers of X also read Y");
  - `record_impression(article_ids, at)`: articles were shown in a list (exposure,
    the denominator of click-through); optional, popularity falls back to recent
    view counts when no impressions are recorded;
  - `observe_history(article_ids)`: backfill co-reading from an old history without
    counting it as recent popularity.
- `engine.recommend(history, now, limit=6, current=None, exclude=(), skipped=())`
  returns a list of `Recommendation(article_id, score, reason)`, `reason` being a
  `Reason(kind, text, article_id)` naming the signal that picked it: "Because you
  read ...", "More from Sport", "Popular in Sport" (readers opened it lately) or
  "New in Sport" (picked for freshness alone).
  `exclude` takes ids the caller knows to hide (duplicate-group siblings of the
  current article, say); already-read, current, withdrawn articles and siblings
  (same `group`) of read or current ones are excluded by the engine itself.
- `engine.score(candidate_ids, history, now, skipped=())` scores given candidates
  without excluding or diversifying (for reranking and offline evaluation).
  `skipped` (optional, both methods): articles this reader was shown earlier and did
  not open; they are demoted, not hidden.

Per-reader history is an input, never stored here: the caller owns it (capped,
expiring, clearable), so forgetting a reader is deleting their rows there.

Scoring (natural-log scale, so terms add like log-odds):
  log(click-through, Beta-smoothed down a hierarchy: site -> articles of the same
  age on the site -> category -> the article over ~two days -> over ~six hours ->
  over the last hour; every level's counts decay with its half-life) + content
  affinity (cosine of the article's vector to the reader's profile) + category
  affinity (log lift of the reader's category share over the site's) + co-reading
  (mean log lift of "read X, then read Y") - a penalty for articles the reader was
  shown and left (`skipped`) + an optional fixed freshness curve (off by default:
  the age level learns from the site's own clicks how much freshness is worth).
  Terms whose inputs are missing (no text, no category, no co-reads) contribute 0,
  so sparse metadata degrades to popularity, not to noise.
Times are seconds since the epoch (UTC) or timezone-aware datetimes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .article import Article, Time, timestamp
from .recommend_vectors import HashingTfidf, VectorSource

ArticleId = Hashable


@dataclass(frozen=True, slots=True)
class Read:
    article_id: ArticleId
    at: Time | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    # "because_you_read" | "readers_also_read" | "more_from" | "trending" | "latest"
    kind: str
    text: str
    article_id: ArticleId | None = None


@dataclass(frozen=True, slots=True)
class Recommendation:
    article_id: ArticleId
    score: float
    reason: Reason


@dataclass(frozen=True, slots=True)
class RecommendConfig:
    """Tunable behaviour. Defaults are chosen from first principles, not fitted."""

    # Candidates: published within this window, plus this many trending articles.
    window_seconds: float = 2 * 86400
    trending: int = 200
    # Click-through is estimated at several time scales and each shorter one is
    # smoothed toward the longer one: two days is about a story's life on a front
    # page, six hours a news cycle, one hour "right now". The longest scale also
    # drives the category, age and site rates.
    popularity_half_life: float = 2 * 86400
    short_half_lives: tuple[float, ...] = (6 * 3600, 3600)
    # Beta prior strengths, in impressions: an article needs about this much
    # exposure (at a scale) before its own click-through outweighs the prior.
    article_prior: float = 10.0
    category_prior: float = 100.0
    # Articles are also pooled by age on the site (log2-hour buckets: <1h, 1-3h,
    # 3-7h, ...): a new article's prior is what articles of its age get now.
    age_buckets: int = 9
    # A reader who was shown an article and left it is assumed about half as
    # likely to click it when it is shown to them again.
    skip_penalty: float = math.log(2)
    # Click-through assumed before any impression is recorded.
    default_ctr: float = 0.05
    # A fixed freshness bonus, exp2(-age / half-life) times the weight. Off by
    # default: the age level of click-through learns the same thing from data, and
    # on MIND the fixed curve on top of it cost about 0.001 AUC.
    freshness_half_life: float = 24 * 3600
    freshness_weight: float = 0.0
    content_weight: float = 1.0
    category_weight: float = 1.0
    # Pseudo-reads pulling a reader's category shares toward the site's.
    category_prior_reads: float = 5.0
    coread_weight: float = 1.0
    # Pseudo-co-reads added to observed and expected co-reads before taking a lift.
    coread_prior: float = 1.0
    # A read pairs with this many of the reader's previous reads.
    coread_span: int = 10
    # Reads of a history used for the profile, and for co-reading, at request time.
    history_used: int = 50
    coread_sources: int = 20
    # Strongest co-read neighbours kept per article (by lift), rebuilt as counts grow.
    coread_neighbours: int = 50
    # Recent candidates scored per request, best by popularity and freshness first.
    candidate_pool: int = 1000
    # Each earlier pick from the same category costs this much score (log scale).
    diversity_penalty: float = 0.7
    trending_ttl: float = 60.0


# A score term must add at least this much (about +10% odds) to be given as reason.
REASON_THRESHOLD = 0.1
POPULAR_VIEWS = 1.0  # decayed views an article needs to be called popular
_NO_NEIGHBOURS = (np.zeros(0, dtype=np.int64), np.zeros(0))


class _Decayed:
    """Exponentially decayed counters for many keys, stored as value-at-time pairs."""

    def __init__(self, half_life: float, size: int = 0) -> None:
        self.rate = math.log(2) / half_life
        self.value = np.zeros(size)
        self.at = np.zeros(size)

    def grow(self, size: int) -> None:
        if size > len(self.value):
            extra = max(size, 2 * len(self.value)) - len(self.value)
            self.value = np.concatenate([self.value, np.zeros(extra)])
            self.at = np.concatenate([self.at, np.zeros(extra)])

    def add(self, index: int, at: float, amount: float = 1.0) -> None:
        last = self.at[index]
        if at >= last:
            self.value[index] = self.value[index] * math.exp(-self.rate * (at - last))
            self.at[index] = at
            self.value[index] += amount
        else:  # a late event: decay it to the stored reference time instead
            self.value[index] += amount * math.exp(-self.rate * (last - at))

    def get(self, index, now: float) -> np.ndarray:
        return self.value[index] * np.exp(
            -self.rate * np.maximum(now - self.at[index], 0)
        )


class RecommendationEngine:
    """See the module docstring for the contract."""

    def __init__(
        self, config: RecommendConfig | None = None, vectors: VectorSource | None = None
    ) -> None:
        self.config = config or RecommendConfig()
        self.vectors = vectors if vectors is not None else HashingTfidf()
        half = self.config.popularity_half_life
        self._index: dict[ArticleId, int] = {}
        self._ids: list[ArticleId] = []
        self._titles: list[str] = []
        self._categories: dict[str | None, int] = {None: 0}
        self._category_names: list[str | None] = [None]
        self._size = 0
        capacity = 1024
        self._published = np.full(capacity, np.nan)
        self._category = np.zeros(capacity, dtype=np.int32)
        self._group = np.full(capacity, -1, dtype=np.int64)
        self._groups: dict[Hashable, int] = {}
        self._withdrawn = np.zeros(capacity, dtype=bool)
        self._vector = np.zeros((capacity, self.vectors.dim), dtype=np.float32)
        self._clicks = _Decayed(half, capacity)
        self._shown = _Decayed(half, capacity)
        # (clicks, impressions) per shorter scale, longest first.
        self._short = [
            (_Decayed(h, capacity), _Decayed(h, capacity))
            for h in self.config.short_half_lives
        ]
        self._first_shown = np.full(capacity, np.nan)
        # The last bucket holds articles of unknown age (never shown, no date).
        self._age_clicks = _Decayed(half, self.config.age_buckets + 1)
        self._age_shown = _Decayed(half, self.config.age_buckets + 1)
        self._category_clicks = _Decayed(half, 1)
        self._category_shown = _Decayed(half, 1)
        self._site = _Decayed(half, 2)  # [clicks, impressions]
        self._category_reads = np.zeros(1)
        self._impressions_seen = False
        # Co-reading: counts of ordered pairs (earlier read -> later read), and how
        # often each article took part in a pair, for the expected count of a lift.
        self._coreads: dict[int, Counter[int]] = {}
        self._pair_counts = np.zeros(capacity)
        self._pairs = 0.0
        # source -> (its pair count when built, targets, log lifts)
        self._neighbours: dict[int, tuple[float, np.ndarray, np.ndarray]] = {}
        self._trending_cache: tuple[float, int, np.ndarray] | None = None

    # ----------------------------------------------------------------- catalogue

    def _grow(self, size: int) -> None:
        capacity = len(self._published)
        if size <= capacity:
            return
        new = max(size, 2 * capacity)
        extra = new - capacity
        self._published = np.concatenate([self._published, np.full(extra, np.nan)])
        self._category = np.concatenate([self._category, np.zeros(extra, np.int32)])
        self._group = np.concatenate([self._group, np.full(extra, -1, np.int64)])
        self._withdrawn = np.concatenate([self._withdrawn, np.zeros(extra, bool)])
        self._vector = np.vstack(
            [self._vector, np.zeros((extra, self.vectors.dim), np.float32)]
        )
        self._pair_counts = np.concatenate([self._pair_counts, np.zeros(extra)])
        self._first_shown = np.concatenate([self._first_shown, np.full(extra, np.nan)])
        self._clicks.grow(new)
        self._shown.grow(new)
        for clicks, shown in self._short:
            clicks.grow(new)
            shown.grow(new)

    def _category_index(self, name: str | None) -> int:
        index = self._categories.get(name)
        if index is None:
            index = self._categories[name] = len(self._category_names)
            self._category_names.append(name)
            self._category_clicks.grow(index + 1)
            self._category_shown.grow(index + 1)
            self._category_reads = np.concatenate([self._category_reads, [0.0]])
        return index

    def add_article(self, article: Article) -> None:
        """Add or replace an article; keeps its counters when replacing."""
        index = self._index.get(article.id)
        if index is None:
            index = self._size
            self._grow(index + 1)
            self._index[article.id] = index
            self._ids.append(article.id)
            self._titles.append(article.title)
            self._size += 1
        else:
            self._titles[index] = article.title
        if article.published is not None:
            self._published[index] = timestamp(article.published)
        self._category[index] = self._category_index(article.category or None)
        if article.group is not None:
            self._group[index] = self._groups.setdefault(
                article.group, len(self._groups)
            )
        self._withdrawn[index] = article.withdrawn
        vector = article.vector
        text = article.text()
        if vector is None and text:
            vector = self.vectors.vector(text)
        if vector is not None:
            self._vector[index] = np.asarray(vector, dtype=np.float32)
        self._trending_cache = None

    def withdraw(self, article_id: ArticleId) -> None:
        index = self._index.get(article_id)
        if index is not None:
            self._withdrawn[index] = True
            self._trending_cache = None

    def __contains__(self, article_id: ArticleId) -> bool:
        return article_id in self._index

    def __len__(self) -> int:
        return self._size

    # -------------------------------------------------------------------- events

    def _known(self, article_id: ArticleId) -> int:
        index = self._index.get(article_id)
        if index is None:
            self.add_article(Article(article_id))
            index = self._index[article_id]
        return index

    def record_impression(self, article_ids: Iterable[ArticleId], at: Time) -> None:
        when = timestamp(at)
        self._impressions_seen = True
        for article_id in article_ids:
            index = self._known(article_id)
            if math.isnan(self._first_shown[index]):
                self._first_shown[index] = when
            self._shown.add(index, when)
            for _, shown in self._short:
                shown.add(index, when)
            self._category_shown.add(int(self._category[index]), when)
            self._age_shown.add(self._age_of(index, when), when)
            self._site.add(1, when)

    def record_view(
        self, article_id: ArticleId, at: Time, history: Iterable[ArticleId] = ()
    ) -> None:
        """A reader opened `article_id`; `history` is what they read before it."""
        when = timestamp(at)
        index = self._known(article_id)
        category = int(self._category[index])
        self._clicks.add(index, when)
        for clicks, _ in self._short:
            clicks.add(index, when)
        self._category_clicks.add(category, when)
        self._age_clicks.add(self._age_of(index, when), when)
        self._site.add(0, when)
        self._category_reads[category] += 1
        earlier = [self._index[a] for a in history if a in self._index]
        self._add_coreads(earlier[-self.config.coread_span :], index)

    def observe_history(self, article_ids: Sequence[ArticleId]) -> None:
        """Learn co-reading and category shares from a history of unknown dates."""
        indices = [self._known(a) for a in article_ids]
        span = self.config.coread_span
        for position, index in enumerate(indices):
            self._category_reads[int(self._category[index])] += 1
            self._add_coreads(indices[max(0, position - span) : position], index)

    def _add_coreads(self, earlier: Sequence[int], later: int) -> None:
        for index in set(earlier):
            if index == later:
                continue
            # Co-reading is symmetric for recommendation: readers of either article
            # are likely readers of the other.
            self._coreads.setdefault(index, Counter())[later] += 1
            self._coreads.setdefault(later, Counter())[index] += 1
            self._pair_counts[index] += 1
            self._pair_counts[later] += 1
            self._pairs += 1

    # ------------------------------------------------------------------- scoring

    def _site_ctr(self, now: float) -> float:
        cfg = self.config
        if not self._impressions_seen:
            return cfg.default_ctr
        clicks, shown = self._site.get(np.arange(2), now)
        return float(
            (clicks + cfg.default_ctr * cfg.category_prior)
            / (shown + cfg.category_prior)
        )

    def _age_of(self, index: int, now: float) -> int:
        """`_age_bucket` of one article, without numpy's per-call overhead."""
        born = float(self._published[index])
        if math.isnan(born):
            born = float(self._first_shown[index])
        last = self.config.age_buckets - 1
        if math.isnan(born):
            return last + 1
        return int(min(math.floor(math.log2(1 + max(now - born, 0) / 3600)), last))

    def _age_bucket(self, indices: np.ndarray, now: float) -> np.ndarray:
        """Log2-hour age on the site: since publication, else since first shown."""
        born = self._published[indices]
        born = np.where(np.isnan(born), self._first_shown[indices], born)
        hours = np.maximum(now - born, 0) / 3600
        last = self.config.age_buckets - 1
        with np.errstate(invalid="ignore"):
            bucket = np.minimum(np.floor(np.log2(1 + hours)), last)
        return np.where(np.isnan(born), last + 1, bucket).astype(np.int64)

    def _popularity(self, indices: np.ndarray, now: float) -> np.ndarray:
        """Log click-through, smoothed down a hierarchy: site -> articles of the
        same age -> category -> the article over two days -> ... -> last hour."""
        cfg = self.config
        site = self._site_ctr(now)
        ages = self._age_bucket(indices, now)
        age = (self._age_clicks.get(ages, now) + cfg.category_prior * site) / (
            self._age_shown.get(ages, now) + cfg.category_prior
        )
        categories = self._category[indices]
        category = (
            self._category_clicks.get(categories, now) + cfg.category_prior * age
        ) / (self._category_shown.get(categories, now) + cfg.category_prior)
        # Articles without a category have only their age's rate to lean on.
        ctr = np.where(categories == 0, age, category)
        scales = [(self._clicks, self._shown), *self._short]
        for clicks, shown in scales:
            ctr = (clicks.get(indices, now) + cfg.article_prior * ctr) / (
                shown.get(indices, now) + cfg.article_prior
            )
        return np.log(ctr)

    def _freshness(self, indices: np.ndarray, now: float) -> np.ndarray:
        age = np.maximum(now - self._published[indices], 0)
        fresh = np.exp2(-age / self.config.freshness_half_life)
        # Unknown publication time: treat as old rather than guess.
        return np.nan_to_num(fresh, nan=0.0)

    def _profile(self, read: list[int]) -> np.ndarray | None:
        if not read:
            return None
        profile = self._vector[read].sum(axis=0)
        norm = float(np.linalg.norm(profile))
        return profile / norm if norm > 0 else None

    def _category_lift(self, read: list[int]) -> np.ndarray:
        cfg = self.config
        counts = np.bincount(
            self._category[read], minlength=len(self._category_names)
        ).astype(float)
        counts[0] = 0.0  # unknown category says nothing about taste
        site = self._category_reads.copy()
        site[0] = 0.0
        site_share = (site + 1) / (site.sum() + len(site))
        total = counts.sum()
        share = (counts + cfg.category_prior_reads * site_share) / (
            total + cfg.category_prior_reads
        )
        lift = np.log(share / site_share)
        lift[0] = 0.0
        return lift

    def _top_neighbours(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """The source's strongest co-reads (targets, smoothed log lifts), cached
        until its pair count grows by a tenth: lifts drift slowly, scans are slow."""
        counts = self._coreads.get(source)
        if not counts:
            return _NO_NEIGHBOURS
        source_pairs = float(self._pair_counts[source])
        cached = self._neighbours.get(source)
        if cached and source_pairs <= cached[0] * 1.1 + 1:
            return cached[1], cached[2]
        prior = self.config.coread_prior
        targets = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        observed = np.fromiter(counts.values(), dtype=float, count=len(counts))
        expected = source_pairs * self._pair_counts[targets] / (2 * max(self._pairs, 1))
        lifts = np.log((observed + prior) / (expected + prior))
        keep = self.config.coread_neighbours
        if len(lifts) > keep:
            top = np.argpartition(-lifts, keep - 1)[:keep]
            targets, lifts = targets[top], lifts[top]
        self._neighbours[source] = (source_pairs, targets, lifts)
        return targets, lifts

    def _coread_sources(self, read: list[int]) -> list[int]:
        return list(dict.fromkeys(read[-self.config.coread_sources :]))

    def _coread(self, indices: np.ndarray, read: list[int]) -> np.ndarray | None:
        """Mean log lift of co-reading from the reader's recent reads, per index."""
        sources = self._coread_sources(read)
        found = [self._top_neighbours(source) for source in sources]
        found = [pair for pair in found if len(pair[0])]
        if not found:
            return None
        targets = np.concatenate([t for t, _ in found])
        lifts = np.concatenate([lift for _, lift in found])
        # Match targets to candidates through a sort, not a per-candidate lookup.
        order = np.argsort(targets, kind="stable")
        targets, lifts = targets[order], lifts[order]
        starts = np.flatnonzero(np.r_[True, targets[1:] != targets[:-1]])
        unique, sums = targets[starts], np.add.reduceat(lifts, starts)
        at = np.minimum(np.searchsorted(unique, indices), len(unique) - 1)
        return np.where(unique[at] == indices, sums[at], 0.0) / len(sources)

    def _coread_source(self, index: int, read: list[int]) -> int | None:
        """The read whose co-readers lift `index` most, for the reason shown."""
        best, best_lift = None, 0.0
        for source in self._coread_sources(read):
            targets, lifts = self._top_neighbours(source)
            hit = np.flatnonzero(targets == index)
            if len(hit) and lifts[hit[0]] > best_lift:
                best, best_lift = source, float(lifts[hit[0]])
        return best

    def _reader(self, history: Iterable[ArticleId | Read]) -> list[int]:
        ids = [h.article_id if isinstance(h, Read) else h for h in history]
        known = [self._index[a] for a in ids if a in self._index]
        return known[-self.config.history_used :]

    def _components(
        self,
        indices: np.ndarray,
        read: list[int],
        now: float,
        skipped: Iterable[ArticleId] = (),
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        cfg = self.config
        parts: dict[str, np.ndarray] = {"popularity": self._popularity(indices, now)}
        if cfg.freshness_weight:
            parts["freshness"] = cfg.freshness_weight * self._freshness(indices, now)
        if read:
            profile = self._profile(read)
            if profile is not None and cfg.content_weight:
                parts["content"] = cfg.content_weight * np.maximum(
                    self._vector[indices] @ profile, 0
                )
            if cfg.category_weight:
                lift = self._category_lift(read)
                parts["category"] = cfg.category_weight * lift[self._category[indices]]
            if cfg.coread_weight:
                coread = self._coread(indices, read)
                if coread is not None:
                    parts["coread"] = cfg.coread_weight * coread
        skips = [self._index[a] for a in skipped if a in self._index]
        if skips and cfg.skip_penalty:
            parts["skipped"] = -cfg.skip_penalty * np.isin(indices, skips)
        total = np.sum(list(parts.values()), axis=0)
        return total, parts

    def score(
        self,
        candidate_ids: Sequence[ArticleId],
        history: Iterable[ArticleId | Read],
        now: Time,
        *,
        skipped: Iterable[ArticleId] = (),
    ) -> np.ndarray:
        """Scores of the candidates in order; unknown ids get a neutral article's.

        `skipped`: articles this reader was shown earlier and did not open.
        """
        when = timestamp(now)
        read = self._reader(history)
        indices = np.array([self._index.get(a, -1) for a in candidate_ids], dtype=int)
        if not len(indices):
            return np.zeros(0)
        unknown = indices < 0
        total, _ = self._components(np.where(unknown, 0, indices), read, when, skipped)
        if unknown.any():
            # Score unknown ids as a new, uncategorised article with no counts.
            neutral = math.log(self._site_ctr(when)) + self.config.freshness_weight
            total = np.where(unknown, neutral, total)
        return total

    # ------------------------------------------------------------ recommending

    def _general_score(self, indices: np.ndarray, now: float) -> np.ndarray:
        score = self._popularity(indices, now)
        if self.config.freshness_weight:
            score += self.config.freshness_weight * self._freshness(indices, now)
        return score

    def _general(self, now: float) -> np.ndarray:
        """Candidates for every reader: the best recent articles plus trending ones.

        Not personal, so cached for `trending_ttl` seconds (or until the catalogue
        changes): recomputing it is most of a request's cost on a large site.
        """
        cfg = self.config
        cache = self._trending_cache
        if cache and cache[1] == self._size and 0 <= now - cache[0] < cfg.trending_ttl:
            return cache[2]
        size = self._size
        recent = np.flatnonzero(self._published[:size] >= now - cfg.window_seconds)
        if len(recent) > cfg.candidate_pool:
            top = np.argpartition(
                -self._general_score(recent, now), cfg.candidate_pool - 1
            )
            recent = recent[top[: cfg.candidate_pool]]
        live = np.flatnonzero(~self._withdrawn[:size])
        if len(live) > cfg.trending:
            top = np.argpartition(-self._general_score(live, now), cfg.trending)
            live = live[top[: cfg.trending]]
        general = np.union1d(recent, live).astype(np.int64)
        self._trending_cache = (now, size, general)
        return general

    def recommend(
        self,
        history: Iterable[ArticleId | Read],
        now: Time,
        *,
        limit: int = 6,
        current: ArticleId | None = None,
        exclude: Iterable[ArticleId] = (),
        skipped: Iterable[ArticleId] = (),
    ) -> list[Recommendation]:
        when = timestamp(now)
        read = self._reader(history)
        parts_of_candidates = [self._general(when)]
        for source in self._coread_sources(read):
            targets, lifts = self._top_neighbours(source)
            parts_of_candidates.append(targets[lifts > 0])
        candidates = np.sort(np.concatenate(parts_of_candidates).astype(np.int64))
        candidates = candidates[np.r_[True, candidates[1:] != candidates[:-1]]]

        hidden = set(read)
        hidden_groups = {int(g) for g in self._group[read] if g >= 0}
        for article_id in [current, *exclude]:
            index = self._index.get(article_id) if article_id is not None else None
            if index is not None:
                hidden.add(index)
        if current is not None and current in self._index:
            group = int(self._group[self._index[current]])
            if group >= 0:
                hidden_groups.add(group)
        keep = ~self._withdrawn[candidates]
        if hidden:
            keep &= ~np.isin(candidates, np.fromiter(hidden, int))
        if hidden_groups:
            keep &= ~np.isin(self._group[candidates], np.fromiter(hidden_groups, int))
        candidates = candidates[keep]
        if not len(candidates):
            return []

        total, parts = self._components(candidates, read, when, skipped)
        pool_size = min(len(candidates), max(limit * 5, 30))
        pool = np.argpartition(-total, pool_size - 1)[:pool_size]
        picks = self._diversify(candidates[pool], total[pool], limit, cold=not read)
        return [
            Recommendation(
                self._ids[index],
                float(score),
                self._reason(
                    index, int(np.searchsorted(candidates, index)), parts, read, when
                ),
            )
            for index, score in picks
        ]

    def _diversify(
        self, indices: np.ndarray, scores: np.ndarray, limit: int, *, cold: bool
    ) -> list[tuple[int, float]]:
        """Greedy: each pick from an already-used category pays a penalty per
        earlier pick there; one article per story/duplicate group."""
        # With no history there is no taste to trade off against: cold start shows
        # the top article of each category before any category's second.
        penalty = 1e9 if cold else self.config.diversity_penalty
        used_categories: Counter[int] = Counter()
        used_groups: set[int] = set()
        remaining = dict(zip(indices.tolist(), scores.tolist(), strict=True))
        picks: list[tuple[int, float]] = []
        while remaining and len(picks) < limit:
            best, best_value = -1, -math.inf
            for index, score in remaining.items():
                category = int(self._category[index])
                value = score - (penalty * used_categories[category] if category else 0)
                if value > best_value:
                    best, best_value = index, value
            score = remaining.pop(best)
            group = int(self._group[best])
            if group >= 0:
                if group in used_groups:
                    continue
                used_groups.add(group)
            used_categories[int(self._category[best])] += 1
            picks.append((best, score))
        return picks

    def _reason(
        self,
        index: int,
        position: int,
        parts: dict[str, np.ndarray],
        read: list[int],
        now: float,
    ) -> Reason:
        category = self._category_names[int(self._category[index])]

        def counts(name: str) -> bool:
            return name in parts and float(parts[name][position]) > REASON_THRESHOLD

        # The most specific explanation that carries real weight wins.
        if counts("coread"):
            source = self._coread_source(index, read)
            if source is not None:
                return self._because(source, "readers_also_read")
        if counts("content"):
            similarity = self._vector[read] @ self._vector[index]
            return self._because(read[int(np.argmax(similarity))], "because_you_read")
        if counts("category") and category:
            return Reason("more_from", f"More from {category.title()}")
        # "Popular" only for what readers actually opened lately; an article
        # picked for being new says so.
        where = f" in {category.title()}" if category else ""
        if float(self._clicks.get(index, now)) >= POPULAR_VIEWS:
            return Reason("trending", f"Popular{where}" if where else "Popular now")
        return Reason("latest", f"New{where}" if where else "New")

    def _because(self, source: int, kind: str) -> Reason:
        title = self._titles[source] or str(self._ids[source])
        return Reason(kind, f"Because you read “{title}”", self._ids[source])

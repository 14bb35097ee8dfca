"""Stories: online clustering of articles into news stories (pure, no Django).

Public API (`StoryEngine`)::

    stories = StoryEngine(StoryConfig())
    key = stories.add(article, related)       # after related.add(article)
    stories.remove(article_id, related)       # before related.remove(article_id)
    stories.story_of(article_id) -> key       # the story's key (stable)
    stories.members(key) -> [ids]             # oldest first
    stories.resolve(key) -> key               # where a merged story went
    stories.merges() -> {old key: surviving key}
    stories.build(articles, related)          # every article, in time order
    data = stories.to_bytes(); StoryEngine.from_bytes(data)

An article joins the story it fits best, or starts one. Each story keeps a
centroid (the sum of its members' TF-IDF vectors from the related engine, cut to
its `centroid_features` strongest features), the time of its latest report, its
sections and its names (capitalised words inside sentences, and capitalised
words elsewhere, at a sentence start or in a Title Case headline, once another
report wrote them capitalised inside a sentence). A new article's
candidate stories are the stories of its `neighbours` best related-engine
matches, so the cost per article is one related lookup plus a few dozen sparse
dot products, whatever the number of stories. A candidate is scored by

    fit = (centroid_share * cosine(article, centroid)
           + (1 - centroid_share) * link)
          * recency(time between the article and the story's reports)
          * (1 if the story's main section is the article's else other_category)
          * (name_floor + (1 - name_floor) * agreement)
          + names_weight * agreement

where `agreement` is the IDF-weighted share of the article's names the story's
reports already used. Reports of one event name the same people and places;
reports that only share template wording ("at least N people are killed in
...") name different ones, so a story must share names with an article to take
it at full weight.

`link` is the best plain cosine between the article and a member among
its related-engine neighbours. The
centroid carries the story's whole vocabulary, the link catches a report that
follows one earlier member closely. The article joins the best story when its
fit reaches `join_threshold`; when a second story also reaches
`merge_threshold` and the two centroids agree (`merge_similarity`), the
evidence says they are one story and they merge.

Stable ids: a story's key is the id of the article that started it and never
changes while it grows (or if that article is later removed). A merge keeps the
older story's key and records the other key's destination, so links to it can
redirect; merge records always point to an older story, so following them ends.

Deterministic: the same articles added in the same order give the same stories;
`build` adds them in (publication time, id) order.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .article import Article
from .protocols import RelatedEngineProtocol
from .related import DAY, _jsonable_id, pack_state, unpack_state
from .text import capitalised, names

FORMAT_VERSION = 1
REPRESENTATIVE_POOL = 200


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """Clustering settings, chosen from news properties, not fitted to a data set:
    a story is told in one section, keeps its names, and fades when no report
    comes for a while of news flow."""

    neighbours: int = 30
    centroid_features: int = 200
    join_threshold: float = 0.18
    merge_threshold: float = 0.12
    merge_similarity: float = 0.3
    centroid_share: float = 0.5
    other_category: float = 0.3
    names_weight: float = 0.1
    names_kept: int = 64
    link_votes: int = 1
    plain_link: float = 0.0
    no_shared_name: float = 1.0
    # The fit's factor when the story used none of the article's names (1 when
    # it used all): names are the evidence that two reports tell one event.
    name_floor: float = 0.7
    recency_floor: float = 0.3
    # The recency half-life, in multiples of the related engine's half-life.
    half_life_factor: float = 0.25
    # A story with no report for this many half-lives takes no new ones.
    close_after: float = 8.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Story:
    __slots__ = (
        "key", "members", "first", "last", "terms", "weights", "norm", "cats", "names",
    )  # fmt: skip

    def __init__(self, key: Hashable, when: float) -> None:
        self.key = key
        self.members: set[Hashable] = set()
        self.first = when
        self.last = when
        self.terms = np.zeros(0, np.int32)
        self.weights = np.zeros(0, np.float32)
        self.norm = 0.0
        self.cats: dict[str, int] = {}
        self.names: dict[str, int] = {}

    def set_centroid(self, terms: np.ndarray, weights: np.ndarray) -> None:
        self.terms, self.weights = terms, weights
        self.norm = float(np.sqrt(np.dot(weights.astype(np.float64), weights)))

    def category(self) -> str:
        if not self.cats:
            return ""
        return max(self.cats.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _sparse_add(
    t1: np.ndarray, w1: np.ndarray, t2: np.ndarray, w2: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of two sparse vectors, cut to its `limit` strongest features."""
    terms = np.concatenate([t1, t2])
    uniq, inv = np.unique(terms, return_inverse=True)
    summed = np.bincount(inv, weights=np.concatenate([w1, w2])).astype(np.float32)
    if len(uniq) > limit:
        keep = np.sort(np.argpartition(-summed, limit)[:limit])
        uniq, summed = uniq[keep], summed[keep]
    return uniq.astype(np.int32), summed


def _cosine(t1: np.ndarray, w1: np.ndarray, t2: np.ndarray, w2: np.ndarray) -> float:
    if not len(t1) or not len(t2):
        return 0.0
    _, i1, i2 = np.intersect1d(t1, t2, assume_unique=True, return_indices=True)
    dot = float(np.dot(w1[i1].astype(np.float64), w2[i2]))
    n1 = float(np.sqrt(np.dot(w1.astype(np.float64), w1)))
    n2 = float(np.sqrt(np.dot(w2.astype(np.float64), w2)))
    return dot / (n1 * n2) if n1 and n2 else 0.0


class StoryEngine:
    """Article -> story assignments, kept up to date one article at a time.

    Memory per article is a few dict entries (story, time, section); vectors
    stay in the related engine, which every call that needs one receives.
    """

    def __init__(self, config: StoryConfig | None = None) -> None:
        self.config = config or StoryConfig()
        self._story: dict[Hashable, Hashable] = {}  # article id -> story key
        self._stories: dict[Hashable, _Story] = {}
        self._merged: dict[Hashable, Hashable] = {}  # merged key -> surviving key
        self._cat: dict[Hashable, str] = {}
        self._ts: dict[Hashable, float] = {}
        self._name_df: dict[str, int] = {}  # articles that used each name
        self._log: list[tuple[Hashable, Hashable]] = []  # merges not yet taken

    def __len__(self) -> int:
        return len(self._story)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._story

    # -- reads --------------------------------------------------------------------
    def story_of(self, article_id: Hashable) -> Hashable:
        """The key of the article's story. Raises KeyError for an unknown id."""
        try:
            return self._story[article_id]
        except KeyError:
            raise KeyError(f"article {article_id!r} is in no story") from None

    def members(self, key: Hashable) -> list[Hashable]:
        """Ids of a story's articles, oldest first (a merged key redirects)."""
        story = self._stories.get(self.resolve(key))
        if story is None:
            return []
        return sorted(story.members, key=lambda i: (self._ts[i], str(i)))

    def resolve(self, key: Hashable) -> Hashable:
        """The surviving key of a story that was merged (itself otherwise). Each
        merge record points to an older story, so the walk ends."""
        for _ in range(len(self._merged) + 1):
            nxt = self._merged.get(key)
            if nxt is None:
                return key
            key = nxt
        raise AssertionError("story merge records form a cycle")

    def merges(self) -> dict[Hashable, Hashable]:
        """Every merged key and the key it lives on as now."""
        return {old: self.resolve(old) for old in self._merged}

    def take_merges(self) -> list[tuple[Hashable, Hashable]]:
        """(merged key, surviving key) of the merges since the last call, oldest
        first: what a caller that mirrors stories elsewhere must apply."""
        log, self._log = self._log, []
        return log

    def representative(
        self, key: Hashable, related: RelatedEngineProtocol
    ) -> Hashable | None:
        """The member nearest the story's centroid (its most typical report,
        whose headline names the story best), among its newest
        REPRESENTATIVE_POOL; ties go to the earliest."""
        story = self._stories.get(self.resolve(key))
        if story is None or not story.members:
            return None
        ids = [i for i in self.members(story.key) if i in related]
        ids = ids[-REPRESENTATIVE_POOL:]
        if not ids:
            return None
        sims = [_cosine(*related.vector(i), story.terms, story.weights) for i in ids]
        return ids[int(np.argmax(sims))]

    def stories(self) -> dict[Hashable, list[Hashable]]:
        """Every story's key and members (oldest first)."""
        return {key: self.members(key) for key in self._stories}

    # -- writes -------------------------------------------------------------------
    def add(self, article: Article, related: RelatedEngineProtocol) -> Hashable:
        """Place an article (already in `related`) in a story; returns its key. An
        article that is already placed is taken out and placed again."""
        aid = article.id
        if aid in self._story:
            self.remove(aid, related)
        vec = related.vector(aid)
        when = related.timestamp(aid)
        self._ts[aid] = when
        self._cat[aid] = article.category or ""
        text = "\n".join(
            p for p in (article.title, article.standfirst, article.body) if p
        )
        mine = self._names(text, article.tags)
        for n in mine:
            self._name_df[n] = self._name_df.get(n, 0) + 1
        ids, plain, scores = related.neighbours(aid, self.config.neighbours)
        # The ranking score adds what the article's words alone miss (feedback
        # from its neighbours, recency, section) but inflates weak matches when
        # there are few candidates; the geometric mean with the plain cosine
        # keeps both kinds of evidence and neither excess.
        sims = (
            np.sqrt(np.maximum(plain, 0.0) * np.maximum(scores, 0.0))
            ** (1.0 - self.config.plain_link)
            * np.maximum(plain, 0.0) ** self.config.plain_link
        )
        ranked = self._rank(aid, vec, mine, ids, sims, related.half_life_days())
        c = self.config
        if ranked and ranked[0][0] >= c.join_threshold:
            key = ranked[0][1]
            self._join(key, aid, vec, mine)
            for fit, other in ranked[1:]:
                if fit < c.merge_threshold:
                    break
                self._maybe_merge(key, other)
            return self._story[aid]
        key = aid
        if key in self._stories or key in self._merged:
            # A key is never reused, even by the article that once held it.
            key = self._fresh_key(aid)
        self._stories[key] = _Story(key, when)
        self._join(key, aid, vec, mine)
        return key

    def _names(self, text: str, tags: Iterable[str]) -> frozenset[str]:
        """The article's names: words capitalised inside a sentence, its tags, and
        capitalised words at a sentence start or in a Title Case headline that an
        earlier report wrote capitalised inside a sentence (so "Chiquita buys
        Fyffes" names both companies once one report wrote "... with Chiquita")."""
        sure = names(text)
        known = self._name_df
        maybe = (w for w in capitalised(text) if w not in sure and w in known)
        return frozenset(sure).union(maybe, (t.casefold() for t in tags))

    def _fresh_key(self, aid: Hashable) -> Hashable:
        n = 1
        while (aid, n) in self._stories or (aid, n) in self._merged:
            n += 1
        return (aid, n)

    def _idf(self, name: str) -> float:
        return float(
            np.log((1.0 + len(self._story)) / (1.0 + self._name_df.get(name, 0)))
        )

    def _rank(
        self,
        aid: Hashable,
        vec: tuple[np.ndarray, np.ndarray],
        mine: frozenset[str],
        ids: list[Hashable],
        sims: np.ndarray,
        half_life: float,
    ) -> list[tuple[float, Hashable]]:
        """Candidate stories with their fit, best first (ties by key text)."""
        c = self.config
        votes: dict[Hashable, list[float]] = {}
        for nid, sim in zip(ids, sims.tolist(), strict=True):
            key = self._story.get(nid)
            if key is not None:
                votes.setdefault(key, []).append(sim)
        if not votes:
            return []
        # A story that several neighbours belong to is better evidence than one
        # lucky match: the link is the mean of its `link_votes` best similarities
        # (missing ones count as 0, unless the story is smaller than that).
        link = {}
        for key, found in votes.items():
            n = min(c.link_votes, len(self._stories[key].members))
            link[key] = sum(sorted(found, reverse=True)[:n]) / n
        when = self._ts[aid]
        cat = self._cat[aid]
        days = max(half_life * c.half_life_factor, 1e-6)
        weights = {n: self._idf(n) for n in mine}
        total = sum(weights.values())
        keys = list(link)
        stories = [self._stories[k] for k in keys]
        cos = self._cosines(*vec, stories)
        out = []
        for key, story, cos_s in zip(keys, stories, cos.tolist(), strict=True):
            gap = max(0.0, when - story.last, story.first - when) / DAY
            if gap > c.close_after * days:
                continue  # a story silent for that long is over
            recency = c.recency_floor + (1 - c.recency_floor) * 2.0 ** (-gap / days)
            fit = c.centroid_share * cos_s + (1 - c.centroid_share) * link[key]
            fit *= recency
            if cat and story.category() != cat:
                fit *= c.other_category
            if mine and total > 0:
                # Reports of one event name the same people and places.
                agreement = (
                    sum(w for n, w in weights.items() if n in story.names) / total
                )
                if not agreement:
                    fit *= c.no_shared_name
                fit *= c.name_floor + (1 - c.name_floor) * agreement
                fit += c.names_weight * agreement
            out.append((fit, key))
        out.sort(key=lambda fk: (-fk[0], str(fk[1])))
        return out

    @staticmethod
    def _cosines(t: np.ndarray, w: np.ndarray, stories: list[_Story]) -> np.ndarray:
        """Cosine of the unit vector (t, w) with each story's centroid, in one
        vectorised pass (t is sorted)."""
        lens = np.array([len(s.terms) for s in stories], np.int64)
        norms = np.array([s.norm for s in stories], np.float64)
        if not len(t) or not lens.sum():
            return np.zeros(len(stories))
        terms = np.concatenate([s.terms for s in stories])
        weights = np.concatenate([s.weights for s in stories]).astype(np.float64)
        pos = np.minimum(np.searchsorted(t, terms), len(t) - 1)
        prod = np.where(t[pos] == terms, w[pos] * weights, 0.0)
        starts = np.cumsum(lens) - lens
        dots = np.add.reduceat(prod, np.minimum(starts, len(prod) - 1))
        dots = np.where(lens > 0, dots, 0.0)
        return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)

    def _join(
        self,
        key: Hashable,
        aid: Hashable,
        vec: tuple[np.ndarray, np.ndarray],
        mine: frozenset[str],
    ) -> None:
        story = self._stories[key]
        story.members.add(aid)
        self._story[aid] = key
        when = self._ts[aid]
        story.first, story.last = min(story.first, when), max(story.last, when)
        story.set_centroid(
            *_sparse_add(
                story.terms, story.weights, *vec, self.config.centroid_features
            )
        )
        cat = self._cat[aid]
        story.cats[cat] = story.cats.get(cat, 0) + 1
        for n in mine:
            story.names[n] = story.names.get(n, 0) + 1
        self._trim_names(story)

    def _trim_names(self, story: _Story) -> None:
        limit = self.config.names_kept
        if len(story.names) > 2 * limit:
            top = sorted(story.names.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            story.names = dict(top)

    def _maybe_merge(self, key: Hashable, other: Hashable) -> None:
        a, b = self._stories.get(key), self._stories.get(other)
        if a is None or b is None or a is b:
            return
        sim = _cosine(a.terms, a.weights, b.terms, b.weights)
        if sim < self.config.merge_similarity:
            return
        # The older story survives (ties: the key's text), so merge records always
        # point back in time and never form a cycle.
        older = (a.first, str(a.key)) <= (b.first, str(b.key))
        keep, gone = (a, b) if older else (b, a)
        for aid in gone.members:
            self._story[aid] = keep.key
        keep.members |= gone.members
        keep.first, keep.last = min(keep.first, gone.first), max(keep.last, gone.last)
        keep.set_centroid(
            *_sparse_add(
                keep.terms, keep.weights, gone.terms, gone.weights,
                self.config.centroid_features,
            )
        )  # fmt: skip
        for cat, n in gone.cats.items():
            keep.cats[cat] = keep.cats.get(cat, 0) + n
        for name, n in gone.names.items():
            keep.names[name] = keep.names.get(name, 0) + n
        self._trim_names(keep)
        del self._stories[gone.key]
        self._merged[gone.key] = keep.key
        self._log.append((gone.key, keep.key))

    def remove(
        self, article_id: Hashable, related: RelatedEngineProtocol | None = None
    ) -> Hashable | None:
        """Take an article out of its story; returns the story's key (None when
        unknown). Call it before `related.remove`, with `related`, so the
        article's words leave the centroid too (else they stay until the next
        `build`). The story keeps its key while it has members."""
        key = self._story.pop(article_id, None)
        if key is None:
            return None
        story = self._stories[key]
        story.members.discard(article_id)
        if related is not None and article_id in related:
            t, w = related.vector(article_id)
            story.set_centroid(
                *_sparse_add(
                    story.terms, story.weights, t, -w, self.config.centroid_features
                )
            )
        cat = self._cat.pop(article_id)
        story.cats[cat] = story.cats.get(cat, 1) - 1
        if story.cats[cat] <= 0:
            del story.cats[cat]
        self._ts.pop(article_id)
        if not story.members:
            del self._stories[key]
        return key

    def build(
        self,
        articles: Iterable[Article],
        related: RelatedEngineProtocol,
        *,
        progress: Callable[..., Iterable[Article]] | None = None,
    ) -> None:
        """Replace every story: place `articles` (all in `related`) in
        (publication time, id) order, as if they had been published one by one
        (with the related engine's full index as evidence)."""
        self.__init__(self.config)  # type: ignore[misc]
        items = sorted(articles, key=lambda a: (related.timestamp(a.id), str(a.id)))
        for article in progress(items, total=len(items)) if progress else items:
            self.add(article, related)

    # -- persistence --------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The whole state (numpy .npz holding JSON and arrays, no pickle)."""
        ids = list(self._story)
        keys = list(self._stories)
        key_index = {k: i for i, k in enumerate(keys)}
        stories = [self._stories[k] for k in keys]
        meta = {
            "version": FORMAT_VERSION,
            "config": self.config.to_json(),
            "ids": ids,
            "story": [key_index[self._story[i]] for i in ids],
            "ts": [self._ts[i] for i in ids],
            "cat": [self._cat[i] for i in ids],
            "keys": keys,
            "first": [s.first for s in stories],
            "last": [s.last for s in stories],
            "cats": [s.cats for s in stories],
            "story_names": [s.names for s in stories],
            "name_df": self._name_df,
            "merged": [[old, new] for old, new in self._merged.items()],
        }
        cen_lens = np.array([len(s.terms) for s in stories], np.int64)

        def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        arrays: dict[str, Any] = {
            "cen_len": cen_lens,
            "cen_terms": cat([s.terms for s in stories], np.int32),
            "cen_weights": cat([s.weights for s in stories], np.float32),
        }
        return pack_state(meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> StoryEngine:
        """Load what `to_bytes` wrote. Raises ValueError on a foreign format."""
        try:
            meta, arrays = unpack_state(data)
            if meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"story format {meta.get('version')}")
            self = cls(StoryConfig(**meta["config"]))
            keys = [_jsonable_id(k) for k in meta["keys"]]
            cen_len = arrays["cen_len"]
            cen_off = np.cumsum(cen_len) - cen_len
            for i, key in enumerate(keys):
                story = _Story(key, meta["first"][i])
                story.last = meta["last"][i]
                story.cats = dict(meta["cats"][i])
                story.names = dict(meta["story_names"][i])
                o, ln = int(cen_off[i]), int(cen_len[i])
                story.set_centroid(
                    arrays["cen_terms"][o : o + ln].copy(),
                    arrays["cen_weights"][o : o + ln].copy(),
                )
                self._stories[key] = story
            for n, raw in enumerate(meta["ids"]):
                aid = _jsonable_id(raw)
                key = keys[meta["story"][n]]
                self._ts[aid] = float(meta["ts"][n])
                self._cat[aid] = meta["cat"][n]
                self._story[aid] = key
                self._stories[key].members.add(aid)
            self._name_df = dict(meta["name_df"])
            self._merged = {
                _jsonable_id(old): _jsonable_id(new) for old, new in meta["merged"]
            }
            for old in self._merged:
                self.resolve(old)  # a foreign file must not hold a merge cycle
        except (
            EOFError, OSError, KeyError, IndexError, TypeError, AssertionError,
            zipfile.BadZipFile,
        ) as exc:  # fmt: skip
            raise ValueError(f"not a story-engine state: {exc}") from exc
        except ValueError as exc:
            raise ValueError(f"not a story-engine state: {exc}") from exc
        return self

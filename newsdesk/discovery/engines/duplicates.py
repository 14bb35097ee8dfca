"""Exact and near-duplicate detection with MinHash signatures and LSH banding.

Pure Python (numpy + datasketch), no Django.

A text's signature is the datasketch MinHash of its word bigrams (stop words
kept: wording, not topic, is what tells a copy from a rewrite). Two texts are
near-duplicates when the estimated Jaccard similarity of their bigram sets is at
least `threshold`; texts whose normalised words are identical are exact
duplicates whatever their length. LSH banding (`bands` x `rows` = `num_perm`)
finds the candidates, so `add` and `duplicates_of` never scan the collection.

The state is a few numpy arrays plus the duplicate edges; the band tables are
rebuilt from the signatures on load (`to_state`/`from_state`).

Duplicate groups are the connected components of the duplicate edges: an
updated version of a wire story is a duplicate of the original, and both are of
a third copy.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from .text import shingles, tokens


def _bucket() -> array:
    return array("i")


@dataclass(frozen=True, slots=True)
class DuplicateConfig:
    """Near-duplicate settings; the defaults suit both headlines and full articles.

    `threshold` is the estimated Jaccard similarity of word-bigram sets above which
    two texts count as the same text lightly edited (a syndicated copy, an update
    with a changed sentence). Half the bigrams in common is already far beyond
    what two independent reports of one event share.
    """

    threshold: float = 0.5
    num_perm: int = 64
    bands: int = 16
    seed: int = 1


def text_digest(text: str) -> int:
    """A stable 63-bit digest of the normalised words of `text` (exact duplicates)."""
    joined = " ".join(tokens(text)).encode()
    return int.from_bytes(hashlib.blake2b(joined, digest_size=8).digest(), "big") >> 1


class DuplicateIndex:
    """Incremental near-duplicate index over integer slots.

    Slots are assigned by the caller (the related engine uses its own slots);
    `add(slot, text)` returns the slots that `slot` duplicates.
    """

    def __init__(self, config: DuplicateConfig | None = None) -> None:
        self.config = config or DuplicateConfig()
        if self.config.num_perm % self.config.bands:
            raise ValueError("num_perm must be a multiple of bands")
        self._rows = self.config.num_perm // self.config.bands
        self._sigs = np.zeros((0, self.config.num_perm), dtype=np.uint32)
        self._digest = np.zeros(0, dtype=np.int64)
        self._has = np.zeros(0, dtype=bool)
        # Buckets are array('i'), not lists: the garbage collector does not
        # track them, so millions of buckets add no pause to a worker's GC.
        self._tables: list[dict[bytes, array]] = [
            defaultdict(_bucket) for _ in range(self.config.bands)
        ]
        self._exact: dict[int, array] = defaultdict(_bucket)
        self._edges: dict[int, set[int]] = defaultdict(set)
        # crc32 is stable across processes (unlike hash()) and several times
        # faster than datasketch's default sha1; 32 bits are all MinHash uses.
        self._template = MinHash(
            num_perm=self.config.num_perm, seed=self.config.seed, hashfunc=zlib.crc32
        )

    # -- signatures ---------------------------------------------------------------
    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature of `text` as uint32 values."""
        grams = shingles(text)
        mh = self._template.copy()
        if grams:
            mh.update_batch([g.encode() for g in grams])
        return mh.hashvalues.astype(np.uint32)

    def similarity(self, a: int, b: int) -> float:
        """Estimated Jaccard similarity of two indexed slots (1.0 for exact copies)."""
        if self._digest[a] == self._digest[b]:
            return 1.0
        return float(np.mean(self._sigs[a] == self._sigs[b]))

    def _grow(self, slot: int) -> None:
        n = len(self._has)
        if slot < n:
            return
        size = max(slot + 1, 2 * n, 64)
        sigs = np.zeros((size, self.config.num_perm), dtype=np.uint32)
        sigs[:n] = self._sigs
        self._sigs = sigs
        self._digest = np.concatenate([self._digest, np.zeros(size - n, np.int64)])
        self._has = np.concatenate([self._has, np.zeros(size - n, bool)])

    def _band_keys(self, sig: np.ndarray) -> list[bytes]:
        r = self._rows
        return [sig[i * r : (i + 1) * r].tobytes() for i in range(self.config.bands)]

    # -- writes -------------------------------------------------------------------
    def add(self, slot: int, text: str) -> set[int]:
        """Index `text` under `slot` (replacing old text); returns its duplicates."""
        if slot < len(self._has) and self._has[slot]:
            self.remove(slot)
        return self._insert(slot, self.signature(text), text_digest(text))

    def _insert(self, slot: int, sig: np.ndarray, digest: int) -> set[int]:
        self._grow(slot)
        found = set(self._exact.get(digest, ()))
        candidates: set[int] = set()
        keys = self._band_keys(sig)
        for table, key in zip(self._tables, keys, strict=True):
            bucket = table.get(key)
            if bucket:
                candidates.update(bucket)
        candidates -= found
        if candidates:
            cand = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
            sims = np.mean(self._sigs[cand] == sig, axis=1)
            found.update(int(c) for c in cand[sims >= self.config.threshold])
        self._sigs[slot] = sig
        self._digest[slot] = digest
        self._has[slot] = True
        self._exact[digest].append(slot)
        for table, key in zip(self._tables, keys, strict=True):
            table[key].append(slot)
        found.discard(slot)
        for other in found:
            self._edges[slot].add(other)
            self._edges[other].add(slot)
        return found

    def remove(self, slot: int) -> None:
        """Forget `slot`; its duplicates stay duplicates of each other only if they
        were directly so."""
        if slot >= len(self._has) or not self._has[slot]:
            return
        digest = int(self._digest[slot])
        self._exact[digest].remove(slot)
        if not self._exact[digest]:
            del self._exact[digest]
        for table, key in zip(
            self._tables, self._band_keys(self._sigs[slot]), strict=True
        ):
            bucket = table[key]
            bucket.remove(slot)
            if not bucket:
                del table[key]
        for other in self._edges.pop(slot, ()):
            self._edges[other].discard(slot)
            if not self._edges[other]:
                del self._edges[other]
        self._has[slot] = False

    # -- reads --------------------------------------------------------------------
    def direct(self, slot: int) -> set[int]:
        """Slots that are duplicates of `slot` itself."""
        return set(self._edges.get(slot, ()))

    def group(self, slot: int) -> set[int]:
        """`slot`'s duplicate group (connected component), `slot` included."""
        seen = {slot}
        todo = [slot]
        while todo:
            for other in self._edges.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen

    def pairs_slots(self) -> list[int]:
        """Slots that have at least one duplicate."""
        return sorted(self._edges)

    def pairs(self) -> set[tuple[int, int]]:
        """Every direct duplicate edge as (smaller, larger) slot pairs."""
        return {(a, b) for a, others in self._edges.items() for b in others if a < b}

    # -- state --------------------------------------------------------------------
    def to_state(self) -> dict[str, np.ndarray]:
        pairs = sorted(self.pairs())
        return {
            "dup_sigs": self._sigs[: len(self._has)],
            "dup_digest": self._digest,
            "dup_has": self._has,
            "dup_edges": np.array(pairs, dtype=np.int64).reshape(-1, 2),
        }

    @classmethod
    def from_state(
        cls, state: dict[str, np.ndarray], config: DuplicateConfig | None = None
    ) -> DuplicateIndex:
        self = cls(config)
        self._sigs = np.array(state["dup_sigs"], dtype=np.uint32)
        self._digest = np.array(state["dup_digest"], dtype=np.int64)
        self._has = np.array(state["dup_has"], dtype=bool)
        for slot in np.flatnonzero(self._has).tolist():
            self._exact[int(self._digest[slot])].append(slot)
            for table, key in zip(
                self._tables, self._band_keys(self._sigs[slot]), strict=True
            ):
                table[key].append(slot)
        for a, b in state["dup_edges"].tolist():
            self._edges[a].add(b)
            self._edges[b].add(a)
        return self

"""Content vectors for the recommendation engine: a small hashing TF-IDF.

Pure Python + numpy. Any object with `dim` and `vector(text) -> ndarray | None` can
replace `HashingTfidf` (see `VectorSource`); the related-articles engine's vectors are
meant to plug in here later, or callers pass ready-made vectors on `Article.vector`.

Words are the related engine's (`text.content_words`), so both engines read a text
the same way. The hashing trick keeps memory fixed (no vocabulary) and lets articles
be vectorised one at a time as they arrive; IDF comes from the document frequencies
seen so far, which is what a live site knows at publication time.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from typing import Protocol

import numpy as np

from .text import content_words


class VectorSource(Protocol):
    """Turns an article's text into a unit-length dense vector, or None if no text."""

    dim: int

    def vector(self, text: str) -> np.ndarray | None: ...


def tokens(text: str) -> list[str]:
    """Content words (text.content_words: the related engine's words and stop
    list) and the pairs of adjacent ones."""
    words = content_words(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _hash(term: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(term.encode(), digest_size=8).digest(), "little"
    )


class HashingTfidf:
    """Signed feature hashing of unigrams and bigrams; sublinear TF x running IDF."""

    def __init__(self, dim: int = 256, df_slots: int = 1 << 20) -> None:
        self.dim = dim
        self.documents = 0
        # Document frequencies live in a fixed hashed table (not a vocabulary), so
        # memory stays flat however many bigrams a long-running site sees.
        self._df = np.zeros(df_slots, dtype=np.int32)

    def vector(self, text: str) -> np.ndarray | None:
        counts = Counter(tokens(text))
        if not counts:
            return None
        self.documents += 1
        out = np.zeros(self.dim, dtype=np.float32)
        for term, count in counts.items():
            value = _hash(term)
            slot = (value >> 8) % len(self._df)
            self._df[slot] += 1
            idf = math.log((1 + self.documents) / (1 + int(self._df[slot])))
            # The sign bit halves the bias that collisions add to dot products.
            sign = 1.0 if (value >> 63) & 1 else -1.0
            out[value % self.dim] += sign * (1 + math.log(count)) * (1 + idf)
        norm = float(np.linalg.norm(out))
        return out / norm if norm > 0 else None

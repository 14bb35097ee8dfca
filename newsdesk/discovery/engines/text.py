"""Text normalisation and feature extraction for the related and duplicate engines.

Pure Python, no Django. Everything here is deterministic and process-independent, so
features computed in one worker match those computed in another.

Feature kinds produced by `weighted_features`:

- ``w:token``   a word (lower-cased, accents kept, stop words dropped);
- ``p:prefix``  the first ``PREFIX_LEN`` characters of a longer word, a cheap
  character-n-gram stand-in that matches inflections ("tapering" ~ "taper",
  "Ukraine's" ~ "Ukrainian") without a language-specific stemmer;
- ``b:a_b``     two adjacent content words, which keeps names and phrases
  ("north korea", "interest rates") from matching their parts elsewhere;
- ``t:tag``     an editor's tag as a whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

PREFIX_LEN = 5

# A short, generic English stop list: function words only, no news vocabulary, so
# it does not encode any data set's quirks.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "says",
        "said",
        "say",
        "new",
    ]
)

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC-normalised, case-folded text with runs of whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def tokens(text: str) -> list[str]:
    """Every word of `text`, normalised; possessive endings are dropped ("fed's")."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if "’" in text:
        text = text.replace("’", "'")
    found = _TOKEN_RE.findall(text)
    if "'" not in text:
        return found
    return [
        (t[:-2] if t.endswith("'s") else t).replace("'", "") if "'" in t else t
        for t in found
    ]


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stop words, no single letters."""
    return [t for t in tokens(text) if t not in STOP_WORDS and (len(t) > 1)]


_NAME_RE = re.compile(r"(?<![.!?:] )(?<![.!?:]  )(?<=\s)[^\W\d_a-z][^\W_]+")
NAME_WEIGHT = 1.5


def names(text: str) -> set[str]:
    """Normalised words written with a capital inside a sentence: names of people,
    places and organisations, which identify a story better than common words.
    Empty for Title Case text, where capitals say nothing."""
    found = _NAME_RE.findall(text or "")
    if len(found) * 2 > len(text.split()):
        return set()
    return set(tokens(" ".join(found)))


_CAPITAL_RE = re.compile(r"(?<![^\W_])[^\W\d_a-z][^\W_]+")


def capitalised(text: str) -> set[str]:
    """Normalised words written with a capital anywhere, sentence starts and Title
    Case included: the words that may be names (`names` keeps only the sure ones)."""
    return set(tokens(" ".join(_CAPITAL_RE.findall(text or ""))))


def field_features(text: str) -> dict[str, float]:
    """Raw feature counts of one field (see the module docstring for the kinds)."""
    words = content_words(text)
    boosted = names(text)
    feats: dict[str, float] = defaultdict(float)
    for i, word in enumerate(words):
        feats["w:" + word] += NAME_WEIGHT if word in boosted else 1
        if len(word) > PREFIX_LEN + 1 and not word.isdigit():
            feats["p:" + word[:PREFIX_LEN]] += 1
        if i:
            feats["b:" + words[i - 1] + "_" + word] += 1
    return feats


# Kinds differ in how much a match means: a prefix match is weaker evidence than
# the word itself; a shared phrase is stronger.
KIND_WEIGHTS = {"w": 1.0, "p": 0.5, "b": 0.7, "t": 1.0}


def weighted_features(
    fields: Iterable[tuple[str, float]],
    tags: Iterable[str] = (),
    tag_weight: float = 2.0,
) -> dict[str, float]:
    """Field-weighted feature counts: each field's counts times its weight, summed.

    `fields` holds (text, weight) pairs, e.g. headline 3, standfirst 2, body 1.
    """
    total: dict[str, float] = defaultdict(float)
    for text, weight in fields:
        if not text or weight <= 0:
            continue
        for feat, count in field_features(text).items():
            total[feat] += count * weight
    for tag in tags:
        norm = normalize(tag)
        if norm:
            total["t:" + norm] += tag_weight
            for feat, count in field_features(tag).items():
                total[feat] += count * tag_weight / 2
    return dict(total)


def shingles(text: str, size: int = 2) -> set[str]:
    """Word `size`-grams of the normalised text, stop words kept (they carry
    the wording that tells a copy from a rewrite); short texts give their words."""
    words = tokens(text)
    if len(words) < size:
        return set(words)
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}

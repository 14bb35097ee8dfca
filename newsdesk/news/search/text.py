"""Query parsing and ranking rules shared by every search backend (pure Python).

Nothing here touches the database: backends hand in what they looked up
(vocabulary rows, scores, texts, dates) and get back decisions. The rules, and
why each one bounds cost or helps a reader:

- A query is at most MAX_TERMS words of at most MAX_TERM_CHARS characters;
  operators and quotes are never syntax. Words are compared case- and
  accent-insensitively (NFKD, combining marks dropped), as the indexes do.
- Stop words and one-letter words never drive retrieval when the query has a
  real word: on their own they match nearly every article (issue 14: `q=a`).
  A query made only of them is still answered, as exact words, never as prefixes.
- Nothing is matched by prefix in the index. Spelling variants of a word of at
  least MIN_VARIANT_CHARS letters ("zelensky" -> "zelenskyy", "ukrainian" ->
  "ukraine") come from a bounded look-up in the index vocabulary and are kept
  only when `is_variant` accepts them (a few letters apart at the end of a long
  stem, or a demonym-like ending), at most MAX_VARIANTS per word.
- A year in the query ("2019 election") is matched against the publication
  year, not as a word: articles rarely print the year they are about.
- Ranking (`rank`), each part scaled to the best candidate's: the backend's
  BM25 score of the words and their variants (SQLite; cover density on
  PostgreSQL, where words close together, as in a phrase, score higher),
  plus FEEDBACK_WEIGHT x BM25 of pseudo-relevance feedback words (RM3-style:
  the words most of the best matches share, weighted by rarity), plus
  STORY_WEIGHT x closeness in time to the best matches (a story's coverage
  clusters within days: STORY_DAYS), plus a small recency prior
  (RECENCY_WEIGHT, half-life RECENCY_HALF_LIFE_DAYS), plus YEAR_WEIGHT when
  the article was published in a year the query names.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import snowballstemmer
from rapidfuzz.distance import OSA

MAX_TERMS = 12
MAX_TERM_CHARS = 40
MIN_VARIANT_CHARS = 4
MAX_VARIANTS = 4
FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 5
FEEDBACK_WEIGHT = 0.4
RECENCY_WEIGHT = 0.1
RECENCY_HALF_LIFE_DAYS = 30.0
YEAR_WEIGHT = 0.25
STORY_WEIGHT = 0.4
STORY_DAYS = 15.0

# English function words (the common core of the Snowball and SMART lists).
_STOP_WORDS = """a about above after again against all am an and any are as at be
    because been before being below between both but by can could did do does doing down
    during each few for from further had has have having he her here hers herself
    him himself his how i if in into is it its itself just me more most my myself
    no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours
    yourself yourselves says said say also"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
# Pairs of endings that turn a place into its people, language or adjective,
# compared on Snowball stems, with the shortest common part each needs:
# Canad-a/Canad-ian, Syri-a/Syri-an, Hondur-as/Hondur-an, Kosov-o/Kosov-an,
# Sudan/Sudan-es(e), Russia/Russia-n, Israel/Israel-i, East/East-ern.
# One-letter endings need long stems: Porter spells a final y as i, so
# "polic" + "i" is policy, not a people; and "n" only follows an "a".
NAME_ENDINGS: dict[frozenset[str], int] = {
    frozenset(pair): base
    for pair, base in {
        ("", "n"): 5,
        ("", "a"): 6,
        ("", "i"): 6,
        ("", "an"): 4,
        ("", "ian"): 4,
        ("", "vian"): 4,
        ("", "ean"): 5,
        ("", "ish"): 4,
        ("", "ern"): 4,
        ("", "es"): 5,
        ("a", "an"): 4,
        ("a", "ian"): 4,
        ("a", "es"): 4,
        ("e", "ian"): 4,
        ("o", "an"): 4,
        ("as", "an"): 4,
    }.items()
}
_WORD = re.compile(r"\w+", re.UNICODE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def normalize(text: str) -> str:
    """Lower case without diacritics: what unicode61 remove_diacritics and
    unaccent do to indexed text."""
    if text.isascii():
        return text.lower()
    return _NON_ASCII.sub(_strip_marks, text.casefold())


def _strip_marks(run: re.Match[str]) -> str:
    decomposed = unicodedata.normalize("NFKD", run.group())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The index's stem of a normalized word ("porter" for SQLite FTS5,
    "english" for PostgreSQL's english_stem; both are Snowball algorithms)."""
    return _stemmer(language).stemWord(word)


@dataclass(frozen=True)
class Term:
    word: str  # normalized
    weak: bool  # a stop word or a single character: never drives retrieval alone


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]
    years: tuple[int, ...] = ()

    @property
    def strong(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.weak)

    @property
    def retrieval_terms(self) -> tuple[Term, ...]:
        """The words that select candidates: the strong ones, else all."""
        return self.strong or self.terms

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse(query: str) -> ParsedQuery:
    """The words of a reader's query; every operator and quote is dropped."""
    words: list[str] = []
    for raw in _WORD.findall(query or ""):
        word = normalize(raw)[:MAX_TERM_CHARS]
        word = "".join(_WORD.findall(word))  # normalization can leave non-word marks
        if word and word not in words:
            words.append(word)
        if len(words) == MAX_TERMS:
            break
    years = tuple(int(w) for w in words if _YEAR.fullmatch(w))
    terms = tuple(
        Term(w, w in STOP_WORDS or len(w) == 1 or _YEAR.fullmatch(w) is not None)
        for w in words
    )
    return ParsedQuery(terms, years)


def variant_prefix(word_stem: str) -> str | None:
    """The vocabulary range to look variants up in (all stems starting with it),
    or None when the word is too short to have variants."""
    if len(word_stem) < MIN_VARIANT_CHARS or word_stem.isdigit():
        return None
    return word_stem[: max(MIN_VARIANT_CHARS, len(word_stem) - 3)]


def shorter_forms(word_stem: str) -> list[str]:
    """The stem without a name ending (Ukrainian -> Ukrain(e)), to look up by
    key: ranges only find longer forms."""
    endings = {e for pair in NAME_ENDINGS for e in pair if e}
    return sorted(
        word_stem[: -len(e)]
        for e in endings
        if word_stem.endswith(e) and len(word_stem) - len(e) >= MIN_VARIANT_CHARS
    )


def is_variant(word: str, word_stem: str, candidate: str) -> bool:
    """Whether `candidate` (a stem from the index) spells the same name as the
    query word (given with its stem):

    - the two differ only by a pair of NAME_ENDINGS after a long enough
      common part (Canada, Canadian; Iran, Iranian);
    - or both stems have seven letters or more, differ in length by two at
      most and agree on all but the last letter of the shorter, or (eight
      letters or more, same length) on all but one of the last two: Zelensky,
      Zelenskyy, Zelenskiy. Transliterations of a name differ at its end; an
      edit inside a word makes another word (protest, protect; investor).
    """
    if candidate in (word, word_stem) or candidate.isdigit():
        return False
    for form in dict.fromkeys((word_stem, word)):  # the stemmer may cut too much
        common = len(_common_prefix(form, candidate))
        for cut in range(3):
            base = common - cut
            if base < MIN_VARIANT_CHARS:
                break
            tails = frozenset({form[base:], candidate[base:]})
            needed = NAME_ENDINGS.get(tails)
            if needed is not None and base >= needed:
                if tails == frozenset({"", "n"}) and form[base - 1] != "a":
                    continue
                return True
    common = len(_common_prefix(word_stem, candidate))
    shorter = min(len(word_stem), len(candidate))
    if shorter < 7 or abs(len(word_stem) - len(candidate)) > 2:
        return False
    if common >= shorter - 1:
        return True
    return (
        shorter >= 8
        and common >= shorter - 2
        and len(word_stem) == len(candidate)
        and OSA.distance(word_stem, candidate) <= 1
    )


def pick_variants(
    word: str,
    word_stem: str,
    vocabulary: Iterable[tuple[str, int]],
    *,
    limit: int = MAX_VARIANTS,
) -> list[str]:
    """The most frequent accepted variants among (stem, document count) rows."""
    found = [
        (df, v) for v, df in vocabulary if df > 0 and is_variant(word, word_stem, v)
    ]
    return [v for _, v in sorted(found, reverse=True)[:limit]]


def suggestion(
    word_stem: str, vocabulary: Iterable[tuple[str, int]]
) -> tuple[str, int] | None:
    """The likeliest intended stem for a word the index does not hold: within one
    edit (two for stems of seven letters or more), the most frequent wins."""
    allowed = 1 if len(word_stem) < 7 else 2
    best: tuple[int, int, str] | None = None
    for candidate, df in vocabulary:
        if df <= 0 or candidate == word_stem or candidate.isdigit():
            continue
        distance = OSA.distance(word_stem, candidate, score_cutoff=allowed)
        if distance <= allowed:
            key = (distance, -df, candidate)
            if best is None or key < best:
                best = key
    return (best[2], -best[1]) if best else None


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


# -- ranking ------------------------------------------------------------------------
@dataclass
class Candidate:
    id: int
    score: float  # the backend's relevance score, higher is better
    published: datetime
    feedback: float = 0.0  # score of the feedback words, higher is better
    final: float = field(default=0.0, init=False)


def tokens(text: str) -> list[str]:
    """The normalized words of a text, in order."""
    return _WORD.findall(normalize(text))


def feedback_words(
    bags: Sequence[set[str]],
    *,
    exclude: set[str],
    language: str,
    min_docs: int = 2,
    limit: int | None = None,
) -> list[str]:
    """Candidate expansion words: words of the best matches (one set of words
    each) that occur in at least `min_docs` of them, most widespread first;
    stop words, numbers, short words and words whose stem is in `exclude` (the
    query's own) are left out."""
    counts: Counter[str] = Counter()
    for bag in bags:
        counts.update(
            w for w in bag if len(w) > 2 and not w.isdigit() and w not in STOP_WORDS
        )
    heads = {e[:3] for e in exclude}
    common = [
        (n, w)
        for w, n in counts.items()
        if n >= min_docs and not (w[:3] in heads and stem(w, language) in exclude)
    ]
    limit = 4 * FEEDBACK_TERMS if limit is None else limit
    return [w for _, w in sorted(common, key=lambda x: (-x[0], x[1]))[:limit]]


def pick_feedback(
    words: Sequence[str],
    bags: Sequence[set[str]],
    doc_freq: Mapping[str, int],
    total_docs: int,
    *,
    language: str,
    limit: int | None = None,
) -> list[str]:
    """RM3-style selection: share of feedback documents holding the word times
    its inverse document frequency in the whole index; the best `limit` words."""
    if not bags:
        return []
    scored = []
    for word in words:
        df = doc_freq.get(stem(word, language), 0)
        if df <= 0:
            continue
        share = sum(1 for bag in bags if word in bag) / len(bags)
        scored.append((share * _idf(df, total_docs), word))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [w for s, w in scored[: limit or FEEDBACK_TERMS] if s > 0]


def bm25(
    groups: Sequence[Sequence[str]],
    docs: Mapping[int, Counter[str]],
    doc_freq: Mapping[str, int],
    total_docs: int,
    *,
    language: str,
    k1: float = 1.2,
    b: float = 0.75,
) -> dict[int, float]:
    """Okapi BM25 of `docs` (word counts by id) for query terms, each a group of
    interchangeable words (a word and its variants): a document word counts for
    a group when it has the stem of one of its words, and the group is scored
    as one term (summed counts, the largest document frequency), so a variant
    never adds a second share of the score (Lucene's SynonymQuery)."""
    if not docs or not groups:
        return {}
    lengths = {i: sum(c.values()) for i, c in docs.items()}
    average = (sum(lengths.values()) / len(lengths)) or 1.0
    vocabulary = {w for c in docs.values() for w in c}
    scores = dict.fromkeys(docs, 0.0)
    for group in groups:
        forms: set[str] = set()
        df = 0
        for word in group:
            word_stem = stem(word, language)
            forms.update(
                v
                for v in vocabulary
                if v[:3] == word[:3] and (v == word or stem(v, language) == word_stem)
            )
            df = max(df, doc_freq.get(word_stem, 0))
        idf = _idf(df, total_docs)
        for i, counts in docs.items():
            tf = sum(counts[f] for f in forms if f in counts)
            if tf:
                norm = k1 * (1 - b + b * lengths[i] / average)
                scores[i] += idf * tf * (k1 + 1) / (tf + norm)
    return scores


def _idf(df: int, total_docs: int) -> float:
    return math.log(1 + (total_docs - df + 0.5) / (df + 0.5))


def rank(
    candidates: list[Candidate],
    *,
    now: datetime,
    years: Sequence[int] = (),
) -> list[Candidate]:
    """Candidates best first: relevance and feedback scores scaled to the best
    of each, a bonus for a year named in the query, a recency prior; ties go to
    the newer article."""
    if not candidates:
        return []
    top = max(c.score for c in candidates) or 1.0
    top_feedback = max(c.feedback for c in candidates) or 1.0
    for c in candidates:
        age_days = max(0.0, (now - c.published).total_seconds() / 86400)
        c.final = (
            c.score / top
            + FEEDBACK_WEIGHT * c.feedback / top_feedback
            + RECENCY_WEIGHT * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
            + (YEAR_WEIGHT if c.published.year in years else 0.0)
        )
    if STORY_WEIGHT:
        # A story's coverage clusters in time: articles published close to the
        # best matches are likelier to be about the same story.
        best = sorted(candidates, key=lambda c: -c.final)[:FEEDBACK_DOCS]
        total = sum(c.final for c in best) or 1.0
        stamps = [(c.published.timestamp(), c.final) for c in best]
        for c in candidates:
            t = c.published.timestamp()
            density = sum(
                w * math.exp(-(((t - s) / 86400 / STORY_DAYS) ** 2) / 2)
                for s, w in stamps
            )
            c.final += STORY_WEIGHT * density / total
    return sorted(candidates, key=lambda c: (-c.final, -c.published.timestamp()))

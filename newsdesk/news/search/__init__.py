"""Full-text search behind one small interface.

`get_search_backend()` returns the backend named by NEWSDESK_SEARCH_BACKEND, or
the one that fits the database: SQLite FTS5 (`sqlite.SqliteFtsBackend`),
PostgreSQL full-text search (`postgres.PostgresBackend`), or a portable
fallback for others (`basic.BasicBackend`).

`SearchBackend.search(query, offset=, limit=, sort=, now=)` returns a
`SearchPage`. Its cost is bounded whatever the query (issue 14): at most
text.MAX_TERMS words, no prefix matching, at most NEWSDESK_SEARCH_MAX_RESULTS
ranked results (later pages do not exist), counts capped at COUNT_CAP, and a
time limit of NEWSDESK_SEARCH_TIMEOUT_MS per search: a search that reaches it
answers an empty page with `timed_out` set instead of running on. The ranking
rules live in `text` (pure); `IndexedBackend` runs them over the primitives a
database backend provides.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news.models import Article

from . import text

RELEVANCE, DATE = "relevance", "date"
SORTS = (RELEVANCE, DATE)
ADDED = "added"  # retrieval order: most recently added first (index order)
COUNT_CAP = 1000
RERANK_TEXT_CHARS = 4000
# Private-use sentinels mark highlights inside snippets so the text can be
# escaped first and the <mark> tags added afterwards.
OPEN, CLOSE = "\ue000", "\ue001"


@dataclass
class SearchPage:
    total: int  # matching articles, at most COUNT_CAP (then `more` is set)
    hits: list[tuple[Article, SafeString]]  # (article, highlighted snippet)
    more: bool = False  # there are more than `total` matches
    ranked: int = 0  # how many of them can be paged through (the result cap)
    suggestion: str = ""  # a spelling the index knows, when a word is unknown
    corrected: str = ""  # the query searched instead of one that found nothing
    timed_out: bool = False
    sort: str = RELEVANCE


def query_terms(query: str) -> list[str]:
    """The words of a reader's query; every operator and quote is dropped."""
    return [t.word for t in text.parse(query).terms]


class SearchBackend:
    def search(
        self,
        query: str,
        *,
        offset: int,
        limit: int,
        sort: str = RELEVANCE,
        now: datetime | None = None,
    ) -> SearchPage:
        raise NotImplementedError


@dataclass(frozen=True)
class Group:
    """One query word and the index stems that stand for it."""

    word: str
    stem: str
    variants: tuple[str, ...] = ()


class SearchInterrupted(Exception):
    """The search reached its time limit."""


@dataclass
class Deadline:
    seconds: float
    started: float = field(default_factory=time.monotonic)

    def expired(self) -> bool:
        return time.monotonic() - self.started >= self.seconds

    def half_spent(self) -> bool:
        return time.monotonic() - self.started > self.seconds / 2

    def check(self) -> None:
        """Between statements: stop once the time is up (the database stops a
        running statement; this stops the next one from starting)."""
        if self.expired():
            raise SearchInterrupted


class IndexedBackend(SearchBackend):
    """The search pipeline over a database's full-text index; subclasses provide
    the primitives (each one statement, each bounded by a LIMIT or an id list)."""

    language = "porter"  # the Snowball stemmer the index uses
    # Order the candidates by BM25 in Python (variants as one term with their
    # word, see text.bm25) rather than by the index's own score, which counts a
    # variant as a second word and, on PostgreSQL, is not BM25.
    python_scores = True

    # -- primitives ----------------------------------------------------------------
    def vocabulary(
        self, stems: Sequence[str], prefixes: Sequence[str], *, per_prefix: int
    ) -> tuple[dict[str, int], dict[str, list[tuple[str, int]]]]:
        """(document count of each stem, up to `per_prefix` (stem, count) rows of
        the index vocabulary starting with each prefix)."""
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence) -> list[tuple]:
        """One statement's rows; a statement the time limit interrupted raises
        SearchInterrupted."""
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except OperationalError as exc:
            if is_interrupt(exc):
                raise SearchInterrupted from exc
            raise

    def _vocabulary_rows(
        self, parts: list[str], params: list, prefixes: Sequence[str]
    ) -> tuple[dict[str, int], dict[str, list[tuple[str, int]]]]:
        """`vocabulary`'s result from its statements: each row is (prefix, term,
        documents), with an empty prefix for an exact stem."""
        doc_freq: dict[str, int] = {}
        ranges: dict[str, list[tuple[str, int]]] = {p: [] for p in prefixes}
        if not parts:
            return doc_freq, ranges
        for prefix, term, docs in self._rows(" UNION ALL ".join(parts), params):
            if prefix:
                ranges[prefix].append((term, docs))
            else:
                doc_freq[term] = docs
        return doc_freq, ranges

    def retrieve(
        self, groups: Sequence[Group], *, require_all: bool, order: str, limit: int
    ) -> list[tuple[int, float, datetime]]:
        """(id, score, published_at) of live matches holding all (or any) of the
        groups, in `order`: RELEVANCE (score, higher is better), DATE (newest
        published first, score 0) or ADDED (newest id first, score 0)."""
        raise NotImplementedError

    def count(self, groups: Sequence[Group], *, require_all: bool, cap: int) -> int:
        """Live matches, counted up to `cap`."""
        raise NotImplementedError

    def snippets(self, groups: Sequence[Group], ids: Sequence[int]) -> dict[int, str]:
        raise NotImplementedError

    def surface_form(self, stem: str) -> str:
        """A word as printed in some article for an index stem (for suggestions)."""
        raise NotImplementedError

    def total_docs(self) -> int:
        raise NotImplementedError

    @contextmanager
    def time_limit(self, deadline: Deadline) -> Iterator[None]:
        """Interrupt statements once `deadline` has passed (SearchInterrupted)."""
        yield

    # -- pipeline ------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        offset: int,
        limit: int,
        sort: str = RELEVANCE,
        now: datetime | None = None,
    ) -> SearchPage:
        parsed = text.parse(query)
        if not parsed:
            return SearchPage(0, [], sort=sort)
        now = now or timezone.now()
        deadline = Deadline(settings.NEWSDESK_SEARCH_TIMEOUT_MS / 1000)
        try:
            with self.time_limit(deadline):
                page, unknown = self._search(parsed, offset, limit, sort, now, deadline)
                if unknown:
                    page.suggestion = self._suggest(parsed, unknown)
                if not page.total and page.suggestion:
                    corrected = text.parse(page.suggestion)
                    page, _ = self._search(
                        corrected, offset, limit, sort, now, deadline
                    )
                    page.corrected = page.suggestion = " ".join(
                        t.word for t in corrected.terms
                    )
        except SearchInterrupted:
            return SearchPage(0, [], timed_out=True, sort=sort)
        except OperationalError as exc:  # an ORM statement of the pipeline
            if not is_interrupt(exc):
                raise
            return SearchPage(0, [], timed_out=True, sort=sort)
        return page

    def _groups(
        self, parsed: text.ParsedQuery
    ) -> tuple[list[Group], dict[str, int], list[text.Term]]:
        terms = parsed.retrieval_terms
        stems = [text.stem(t.word, self.language) for t in terms]
        prefixes = {s: p for s in stems if (p := text.variant_prefix(s)) is not None}
        shorter = {s: text.shorter_forms(s) for s in stems}
        doc_freq, ranges = self.vocabulary(
            sorted({*stems, *(f for forms in shorter.values() for f in forms)}),
            sorted(set(prefixes.values())),
            per_prefix=50,
        )
        groups, unknown = [], []
        for term, s in zip(terms, stems, strict=True):
            rows = ranges.get(prefixes.get(s, ""), []) + [
                (f, doc_freq[f]) for f in shorter[s] if f in doc_freq
            ]
            variants = [
                v
                for v in text.pick_variants(term.word, s, dict(rows).items())
                if text.stem(v, self.language) == v  # the index would re-stem it
            ]
            groups.append(Group(term.word, s, tuple(variants)))
            doc_freq.update((v, df) for v, df in rows if v in variants)
            if not doc_freq.get(s) and not variants and not term.weak:
                unknown.append(term)
        return groups, doc_freq, unknown

    def _search(self, parsed, offset, limit, sort, now, deadline):
        deadline.check()
        groups, doc_freq, unknown = self._groups(parsed)
        deadline.check()
        cap = settings.NEWSDESK_SEARCH_MAX_RESULTS
        if not parsed.strong:
            # Only stop words and letters: ranking the whole index by how much it
            # says "a" would cost the most and mean nothing. The most recently
            # added articles holding every word, read straight off the index.
            rows = self.retrieve(groups, require_all=True, order=ADDED, limit=cap)
            ordered = [r[0] for r in rows]
            total = len(ordered)
            if total >= cap:
                total = self.count(groups, require_all=True, cap=COUNT_CAP)
        elif sort == DATE:
            # Newest first among the articles holding every word (each word or
            # a variant); if none does, among those holding any.
            require_all = True
            rows = self.retrieve(groups, require_all=True, order=DATE, limit=cap)
            if not rows and len(groups) > 1:
                require_all = False
                rows = self.retrieve(groups, require_all=False, order=DATE, limit=cap)
            ordered = [r[0] for r in rows]
            total = len(ordered)
            if total >= cap:
                total = self.count(groups, require_all=require_all, cap=COUNT_CAP)
        else:
            rows = self.retrieve(groups, require_all=False, order=RELEVANCE, limit=cap)
            candidates = [text.Candidate(i, s, p) for i, s, p in rows]
            if len(candidates) > 1 and not deadline.half_spent():
                self._rerank(candidates, groups, doc_freq)
            ranked = text.rank(candidates, now=now, years=parsed.years)
            ordered = [c.id for c in ranked]
            total = len(ordered)
            if total >= cap:
                total = self.count(groups, require_all=False, cap=COUNT_CAP)
        deadline.check()
        page_ids = ordered[offset : offset + limit]
        snippets = self.snippets(groups, page_ids) if page_ids else {}
        articles = Article.objects.select_related("category").in_bulk(page_ids)
        hits = [
            (articles[pk], highlight(snippets.get(pk, "")))
            for pk in page_ids
            if pk in articles
        ]
        page = SearchPage(
            total=total,
            hits=hits,
            more=total >= COUNT_CAP,
            ranked=len(ordered),
            sort=sort,
        )
        return page, unknown

    def _rerank(
        self,
        candidates: list[text.Candidate],
        groups: list[Group],
        doc_freq: dict[str, int],
    ) -> None:
        """Score the candidates again in Python (BM25 on their first
        RERANK_TEXT_CHARS, the headline counted twice as the index weighs it):
        the query itself when the backend's own score is not BM25
        (`python_scores`), then pseudo-relevance feedback, the words that the
        best of them share (see text.pick_feedback)."""
        rows = Article.objects.filter(pk__in=[c.id for c in candidates]).values_list(
            "pk", "headline", "standfirst", Substr("body_text", 1, RERANK_TEXT_CHARS)
        )
        docs = {
            pk: Counter(text.tokens(f"{headline} {headline} {standfirst} {body}"))
            for pk, headline, standfirst, body in rows
        }
        total = self.total_docs()
        if self.python_scores:
            scores = text.bm25(
                [[g.word, *g.variants] for g in groups],
                docs,
                doc_freq,
                total,
                language=self.language,
            )
            for c in candidates:
                c.score = scores.get(c.id, 0.0)
        best = sorted(candidates, key=lambda c: -c.score)[: text.FEEDBACK_DOCS]
        bags = [set(docs[c.id]) for c in best if c.id in docs]
        exclude = {g.stem for g in groups} | {v for g in groups for v in g.variants}
        words = text.feedback_words(bags, exclude=exclude, language=self.language)
        if not words:
            return
        stems = sorted({text.stem(w, self.language) for w in words})
        feedback_freq, _ = self.vocabulary(stems, [], per_prefix=0)
        chosen = text.pick_feedback(
            words, bags, feedback_freq, total, language=self.language
        )
        scores = text.bm25(
            [[w] for w in chosen], docs, feedback_freq, total, language=self.language
        )
        for c in candidates:
            c.feedback = scores.get(c.id, 0.0)

    def _suggest(self, parsed: text.ParsedQuery, unknown: list[text.Term]) -> str:
        """The query with each unknown word replaced by the likeliest spelling the
        index holds, or "" when there is none."""
        replacements = {}
        prefixes = {}
        for term in unknown:
            s = text.stem(term.word, self.language)
            if len(s) >= 3:
                prefixes[term.word] = (s, s[:2] if len(s) < 5 else s[:3])
        if not prefixes:
            return ""
        _, ranges = self.vocabulary(
            [], sorted({p for _, p in prefixes.values()}), per_prefix=500
        )
        for word, (s, prefix) in prefixes.items():
            found = text.suggestion(s, ranges.get(prefix, []))
            if found:
                replacements[word] = text.normalize(self.surface_form(found[0]))
        if not replacements:
            return ""
        return " ".join(replacements.get(t.word, t.word) for t in parsed.terms)


def highlight(snippet: str) -> SafeString:
    escaped = escape(snippet or "")
    return mark_safe(escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))  # noqa: S308


def first_marked(marked: str, default: str) -> str:
    """The first word a highlighter wrapped in OPEN ... CLOSE, or `default`."""
    start = marked.find(OPEN)
    end = marked.find(CLOSE, start)
    return marked[start + 1 : end] if 0 <= start < end else default


def is_interrupt(exc: OperationalError) -> bool:
    message = str(exc).lower()
    return "interrupt" in message or "statement timeout" in message


def get_search_backend() -> SearchBackend:
    path = settings.NEWSDESK_SEARCH_BACKEND
    if path:
        return import_string(path)()
    if connection.vendor == "sqlite":
        from .sqlite import SqliteFtsBackend

        return SqliteFtsBackend()
    if connection.vendor == "postgresql":
        from .postgres import PostgresBackend

        return PostgresBackend()
    from .basic import BasicBackend

    return BasicBackend()

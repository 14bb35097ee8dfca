"""Reads for personal recommendations: the recommender, histories, the lists.

Serving keeps full-page caching intact: pages carry `recommended_fallback` (the
same list for everyone); the personal list is a separate, uncached fragment
(`views.recommended`) that the page's script swaps in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import Truncator

from newsdesk.discovery.engines.recommend import Read, Recommendation
from newsdesk.discovery.models import ReadingHistory
from newsdesk.discovery.recommend.actions import pending_reads
from newsdesk.discovery.recommend.adapters import Recommender
from newsdesk.discovery.recommend.preferences import PREFERENCE_COOKIE, history_since
from newsdesk.engagement import readers
from newsdesk.news.models import Article
from newsdesk.news.selectors import live_articles

REASON_TITLE_CHARS = 60
ITEM_FIELDS = (
    "id", "slug", "headline", "published_at", "published_precision", "category__name"
)  # fmt: skip

_recommender: Recommender | None = None
_recommender_lock = threading.Lock()


def get_recommender() -> Recommender:
    """The process's recommender (NEWSDESK_RECOMMENDER), created on first use."""
    global _recommender
    if _recommender is None:
        with _recommender_lock:
            if _recommender is None:
                _recommender = import_string(settings.NEWSDESK_RECOMMENDER)()
    return _recommender


def reset_recommender() -> None:
    """Forget the process's recommender (tests; after bulk imports)."""
    global _recommender
    with _recommender_lock:
        _recommender = None


# ------------------------------------------------------------------ the reader


@dataclass(frozen=True)
class Personalisation:
    enabled: bool
    # "default" | "choice" (the reader's cookie) | "gpc" (Sec-GPC: 1, no choice)
    source: str


def personalisation(*, cookie: str | None, gpc: bool) -> Personalisation:
    """Whether a reader's reads may be recorded and used.

    An explicit choice (the preference cookie) wins; without one, a Global
    Privacy Control signal means off.
    """
    if cookie in ("on", "off"):
        return Personalisation(enabled=cookie == "on", source="choice")
    if gpc:
        return Personalisation(enabled=False, source="gpc")
    return Personalisation(enabled=True, source="default")


def request_personalisation(request) -> Personalisation:
    return personalisation(
        cookie=request.COOKIES.get(PREFERENCE_COOKIE),
        gpc=readers.global_privacy_control(request),
    )


def reader_key(request) -> int | None:
    """The reader's stored key, only from an existing cookie (never issues one)."""
    return readers.cookie_reader_key(request)


def reading_history(reader: int, *, now: datetime) -> list[Read]:
    """The reader's unexpired reads, oldest first, at most the history size."""
    rows = (
        ReadingHistory.objects.filter(reader=reader, read_at__gte=history_since(now))
        .order_by("-read_at")
        .values_list("article_id", "read_at")[: settings.NEWSDESK_READING_HISTORY_SIZE]
    )
    return [Read(article_id, at.timestamp()) for article_id, at in reversed(rows)]


def history_page(reader: int, *, now: datetime) -> list[ReadingHistory]:
    """The reader's unexpired reads with their articles, newest first."""
    return list(
        ReadingHistory.objects.filter(reader=reader, read_at__gte=history_since(now))
        .select_related("article", "article__category")
        .order_by("-read_at")[: settings.NEWSDESK_READING_HISTORY_SIZE]
    )


# -------------------------------------------------------------------- the lists


def _note(rec: Recommendation, titles: dict) -> str:
    reason = rec.reason
    if reason.article_id is not None and reason.article_id in titles:
        # The engine quotes whole headlines; a block line has room for less.
        title = Truncator(titles[reason.article_id]).chars(REASON_TITLE_CHARS)
        return f"Because you read “{title}”"
    return reason.text


def articles_for(
    recs: Iterable[Recommendation], *, exclude: Iterable[int] = ()
) -> list[Article]:
    """Live articles of `recs` in order, each with `block_note` = its reason.

    One query (the reasons' source articles are fetched with the list, so a
    title in a reason is always the current headline of a live article).
    """
    recs = [r for r in recs if r.article_id not in set(exclude)]
    ids = {r.article_id for r in recs}
    ids |= {r.reason.article_id for r in recs if r.reason.article_id is not None}
    # Only what a list item shows: article bodies are most of a row's bytes.
    rows = {
        a.pk: a
        for a in live_articles().filter(pk__in=ids).order_by().only(*ITEM_FIELDS)
    }
    titles = {pk: a.headline for pk, a in rows.items()}
    chosen = []
    for rec in recs:
        article = rows.get(rec.article_id)
        if article is not None:
            article.block_note = _note(rec, titles)
            chosen.append(article)
    return chosen


PERSONAL_TITLE = "Recommended for you"
UNREAD_TITLE = "More news"


@dataclass
class PersonalList:
    """The fragment's list and the title that says what it is."""

    articles: list[Article]
    title: str


def reads_of(reader: int, *, now: datetime) -> list[Read]:
    """The reader's reads, oldest first: the written history and the reads still
    waiting in this process's write buffer (a page opened a second ago counts)."""
    latest = {r.article_id: r for r in reading_history(reader, now=now)}
    for read in pending_reads(reader):
        if read.article_id not in latest or latest[read.article_id].at < read.at:
            latest[read.article_id] = read
    return sorted(latest.values(), key=lambda r: r.at)


def unread_articles(*, hidden: set[int], limit: int) -> list[Article]:
    """The newest live articles not in `hidden` (the list while no recommender)."""
    return list(live_articles().exclude(pk__in=hidden).only(*ITEM_FIELDS)[:limit])


def personal_articles(
    *, reader: int, current: int | None, exclude: set[int], limit: int
) -> PersonalList | None:
    """The reader's list, or None when the reader has read nothing yet (the
    page's shared list then stays, and cannot hold anything they read).

    Never lists `current`, `exclude`, withdrawn or same-story articles, nor any
    article the reader read, written or still buffered. Personal picks come
    first, topped up with the shared list minus the reads; each item's note
    names its reason. While this process's recommender loads, the newest
    unread articles are listed under a title that says so.
    """
    now = timezone.now()
    history = reads_of(reader, now=now)
    if not history:
        return None
    hidden = set(exclude) | {h.article_id for h in history}
    if current is not None:
        hidden.add(current)
    recommender = get_recommender()
    if not recommender.loaded():
        recommender.start_loading()
        if not recommender.loaded():
            return PersonalList(
                unread_articles(hidden=hidden, limit=limit), UNREAD_TITLE
            )
    recs = recommender.recommend(
        history, now=now, current=current, exclude=hidden, limit=limit
    )
    if len(recs) < limit:
        taken = hidden | {r.article_id for r in recs}
        more = recommender.fallback(
            now=now, current=current, exclude=taken, limit=limit - len(recs)
        )
        recs += [r for r in more if r.article_id not in taken]
    return PersonalList(articles_for(recs, exclude=hidden)[:limit], PERSONAL_TITLE)


def recommended_fallback(*, request, article, exclude, limit) -> list[Article]:
    """news.blocks provider: the non-personal list ("Popular in Sport"), same for
    every reader so the page stays cacheable.

    Empty while the process's recommender is not loaded yet (the blocks then use
    the built-in list): the first page of a process never waits for it.
    """
    recommender = get_recommender()
    if not recommender.loaded():
        return []
    current = article.pk if article is not None else None
    recs = recommender.fallback(
        now=timezone.now(), current=current, exclude=set(exclude), limit=limit
    )
    return articles_for(recs, exclude=set(exclude) | {current})


recommended_fallback.title = "Recommended"


# ------------------------------------------------------------------ dashboard


def returning_readers(*, days: int = 7, now: datetime | None = None) -> tuple[int, int]:
    """(returning, all) readers with a cookie who read in the last `days` days;
    returning = their kept reads fall on more than one UTC day.

    Reading history keeps the latest read per article, so a reader who only
    re-read one article on two days counts as not returning: a lower bound.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    per_reader = (
        ReadingHistory.objects.filter(read_at__gte=since)
        .annotate(day=TruncDate("read_at"))
        .values("reader")
        .annotate(first=Min("day"), last=Max("day"), n=Count("pk"))
        .order_by()
    )
    total = returning = 0
    for row in per_reader.iterator(chunk_size=5000):
        total += 1
        returning += row["first"] != row["last"]
    return returning, total

"""Reads of engagement data for pages, the admin and the most-read lists."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from newsdesk.engagement.models import ArticleStats, Reaction, ViewBucket
from newsdesk.news.models import Article, Category
from newsdesk.news.selectors import list_articles, subtree_filter

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24),
           "7d": timedelta(days=7), "30d": timedelta(days=30)}  # fmt: skip
WINDOW_LABELS = {"1h": "1 h", "24h": "24 h", "7d": "7 d", "30d": "30 d"}
ORDERS = ("views", "trending")
RANKING_SIZE = 50  # articles kept per cached ranking
RANKING_MAX_AGE = 60  # seconds: a ranking is recomputed at most once a minute


@dataclass(frozen=True)
class ReactionKind:
    key: str
    emoji: str
    label: str


@functools.cache
def _parse_kinds(entries: tuple[str, ...]) -> tuple[ReactionKind, ...]:
    kinds = []
    for entry in entries:
        parts = entry.split(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ImproperlyConfigured(
                f"NEWSDESK_REACTIONS entry {entry!r} is not key:emoji:Label."
            )
        key = parts[0].strip()
        if not key.replace("_", "").isalnum() or len(key) > 32:
            raise ImproperlyConfigured(
                f"NEWSDESK_REACTIONS key {key!r}: use up to 32 letters, digits, _."
            )
        kinds.append(ReactionKind(key, parts[1].strip(), parts[2].strip()))
    if not kinds or len({k.key for k in kinds}) != len(kinds):
        raise ImproperlyConfigured("NEWSDESK_REACTIONS needs distinct keys.")
    return tuple(kinds)


def reaction_kinds() -> tuple[ReactionKind, ...]:
    return _parse_kinds(tuple(settings.NEWSDESK_REACTIONS))


@dataclass
class ReactionCount:
    kind: ReactionKind
    count: int
    mine: bool


def reaction_counts(article_id: int, *, reader: int | None) -> list[ReactionCount]:
    """Counts per configured kind and the reader's own choice, in one query."""
    rows = (
        Reaction.objects.filter(article_id=article_id)
        .values("kind")
        .annotate(
            n=Count("pk"),
            mine=Count(
                "pk", filter=Q(reader=reader) if reader is not None else Q(pk=None)
            ),
        )
        .order_by()
    )
    found = {r["kind"]: (r["n"], r["mine"] > 0) for r in rows}
    return [
        ReactionCount(kind=k, count=found.get(k.key, (0, False))[0],
                      mine=found.get(k.key, (0, False))[1])
        for k in reaction_kinds()
    ]  # fmt: skip


def view_count(article_id: int) -> int:
    return (
        ArticleStats.objects.filter(article_id=article_id)
        .values_list("views", flat=True)
        .first()
        or 0
    )


# --- most read ----------------------------------------------------------------


def _ranking_rows(window: str, category_path: str | None, now: datetime):
    # Buckets are hourly: a window starts at the bucket holding now - window.
    since = (now - WINDOWS[window]).replace(minute=0, second=0, microsecond=0)
    qs = ViewBucket.objects.filter(
        hour__gte=since, article__in=Article.objects.live(now)
    )
    if category_path:
        qs = qs.filter(
            Q(article__category__path=category_path)
            | Q(article__category__path__startswith=category_path + "/")
        )
    return (
        qs.values("article_id", "article__published_at")
        .annotate(total=Sum("views"))
        .order_by()
    )


def compute_ranking(
    *, window: str = "24h", category_path: str | None = None, order: str = "views",
    now: datetime | None = None, size: int = RANKING_SIZE,
) -> list[int]:  # fmt: skip
    """Article ids ranked by views in `window` (or by trending score).

    Views order: most views first, ties broken by the newer article. Trending:
    views in the window divided by (age in hours + 2) ** gravity, the Hacker
    News formula, so that a fast-rising new story beats a slow old one.
    Windows are whole hourly buckets: "1 h" is the current and the previous hour.
    """
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}")
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}")
    now = now or timezone.now()
    rows = list(_ranking_rows(window, category_path, now))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)

    def published(row) -> float:
        return (row["article__published_at"] or epoch).timestamp()

    if order == "trending":
        gravity = settings.NEWSDESK_TRENDING_GRAVITY

        def key(row):
            age_h = max(0.0, (now.timestamp() - published(row)) / 3600)
            return (
                row["total"] / (age_h + 2) ** gravity,
                published(row),
                row["article_id"],
            )
    else:

        def key(row):
            return (row["total"], published(row), row["article_id"])

    rows.sort(key=key, reverse=True)
    return [r["article_id"] for r in rows[:size]]


def ranking(*, window: str = "24h", category_path: str | None = None,
            order: str = "views") -> list[int]:  # fmt: skip
    """The cached ranking: recomputed at most once a minute, never per request.

    A stale ranking is served while one process (holding a short cache lock)
    recomputes it; only the very first request after a cold cache computes.
    """
    key = f"engagement:ranking:{order}:{window}:{category_path or ''}"
    entry = cache.get(key)
    now = time.time()
    if entry is not None and now - entry["at"] < RANKING_MAX_AGE:
        return entry["ids"]
    if entry is not None and not cache.add(key + ":lock", 1, timeout=RANKING_MAX_AGE):
        return entry["ids"]
    ids = compute_ranking(window=window, category_path=category_path, order=order)
    cache.set(key, {"at": now, "ids": ids}, timeout=3600)
    return ids


def most_read(
    *, window: str = "24h", category: Category | None = None, order: str = "views",
    exclude=frozenset(), limit: int = 10,
) -> list[Article]:  # fmt: skip
    """Live articles of the cached ranking, in order, without `exclude`."""
    ids = [
        i
        for i in ranking(
            window=window,
            category_path=category.path if category else None,
            order=order,
        )
        if i not in exclude
    ]
    if not ids:
        return []
    qs = list_articles().filter(pk__in=ids[: limit + 20])
    if category is not None:
        qs = qs.filter(subtree_filter(category))
    found = {a.pk: a for a in qs}
    return [found[i] for i in ids if i in found][:limit]


# --- editors ------------------------------------------------------------------


def with_engagement(queryset, *, now: datetime | None = None):
    """Annotate articles with views and reactions, total and last 24 h (no N+1)."""
    since = (now or timezone.now()) - timedelta(hours=24)
    zero = Value(0, output_field=IntegerField())
    views_24h = (
        ViewBucket.objects.filter(article=OuterRef("pk"), hour__gte=since)
        .values("article")
        .annotate(n=Sum("views"))
        .values("n")
    )
    reactions = (
        Reaction.objects.filter(article=OuterRef("pk"))
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reactions_24h = (
        Reaction.objects.filter(article=OuterRef("pk"), updated_at__gte=since)
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        views_total=Coalesce(
            Subquery(
                ArticleStats.objects.filter(article=OuterRef("pk")).values("views")[:1]
            ),
            zero,
        ),
        views_24h=Coalesce(Subquery(views_24h, output_field=IntegerField()), zero),
        reactions_total=Coalesce(
            Subquery(reactions, output_field=IntegerField()), zero
        ),
        reactions_24h=Coalesce(
            Subquery(reactions_24h, output_field=IntegerField()), zero
        ),
    )

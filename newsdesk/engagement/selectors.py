"""Reads of engagement data for pages, the admin and the most-read lists."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
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
    """Counts per configured kind and the reader's own choice, in one query.

    Hand-written SQL, as view_count: every article page asks, and the ORM spent
    more compiling these two statements than the database running them.
    """
    table = connection.ops.quote_name(Reaction._meta.db_table)
    sql = (
        "SELECT kind, COUNT(*), SUM(CASE WHEN reader = %s THEN 1 ELSE 0 END) "  # noqa: S608
        f"FROM {table} WHERE article_id = %s GROUP BY kind"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [reader, article_id])
        found = {kind: (n, bool(mine)) for kind, n, mine in cursor.fetchall()}
    return [
        ReactionCount(kind=k, count=found.get(k.key, (0, False))[0],
                      mine=found.get(k.key, (0, False))[1])
        for k in reaction_kinds()
    ]  # fmt: skip


def view_count(article_id: int) -> int:
    table = connection.ops.quote_name(ArticleStats._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT views FROM {table} WHERE article_id = %s", [article_id])  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else 0


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


# --- the newsroom dashboard -------------------------------------------------------


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def views_per_hour(
    *, hours: int = 48, sections: int = 4, now: datetime | None = None
) -> tuple[list[datetime], dict[str, list[int]]]:
    """Views per UTC hour for the last `hours` hours: the site's total, then the
    `sections` busiest top-level sections (one grouped query)."""
    last = _hour(now or timezone.now())
    first = last - timedelta(hours=hours - 1)
    hours_list = [first + timedelta(hours=i) for i in range(hours)]
    rows = (
        ViewBucket.objects.filter(hour__gte=first)
        .values("hour", "article__category__root__name")
        .annotate(n=Sum("views"))
        .order_by()
    )
    site = dict.fromkeys(hours_list, 0)
    by_section: dict[str, dict[datetime, int]] = {}
    for row in rows:
        hour = row["hour"]
        if hour not in site:
            continue
        site[hour] += row["n"]
        name = row["article__category__root__name"] or "?"
        by_section.setdefault(name, dict.fromkeys(hours_list, 0))[hour] += row["n"]
    busiest = sorted(by_section, key=lambda k: -sum(by_section[k].values()))
    series = {"All sections": [site[h] for h in hours_list]}
    for name in busiest[:sections]:
        series[name] = [by_section[name][h] for h in hours_list]
    return hours_list, series


@dataclass
class TopArticle:
    article: Article
    views: int
    previous: int

    @property
    def trend(self) -> str:
        if self.previous == 0:
            return "new" if self.views else "-"
        change = (self.views - self.previous) / self.previous
        return f"{change:+.0%}"


def top_articles_now(
    *, window: str = "1h", limit: int = 10, now: datetime | None = None
) -> list[TopArticle]:
    """Most viewed live articles in `window` (whole hours, as Most read counts
    them) with their views in the window before, for the trend."""
    length = WINDOWS[window]
    current = _hour(now or timezone.now()) + timedelta(hours=1)
    start, before = current - length, current - 2 * length
    totals = (
        ViewBucket.objects.filter(hour__gte=before, hour__lt=current)
        .values("article_id")
        .annotate(
            now_n=Sum("views", filter=Q(hour__gte=start)),
            before_n=Sum("views", filter=Q(hour__lt=start)),
        )
        .filter(now_n__gt=0)
        .order_by("-now_n", "-article_id")[: limit * 2]
    )
    rows = {r["article_id"]: r for r in totals}
    articles = list_articles().in_bulk(list(rows))
    ranked = [
        TopArticle(articles[pk], rows[pk]["now_n"] or 0, rows[pk]["before_n"] or 0)
        for pk in rows
        if pk in articles
    ]
    return ranked[:limit]


def reactions_breakdown(
    *, days: int = 7, now: datetime | None = None
) -> list[tuple[ReactionKind, int]]:
    since = (now or timezone.now()) - timedelta(days=days)
    counts = dict(
        Reaction.objects.filter(updated_at__gte=since)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(kind, counts.get(kind.key, 0)) for kind in reaction_kinds()]


def article_views_by_hour(
    article: Article, *, max_hours: int = 24 * 14, now: datetime | None = None
) -> list[int]:
    """An article's views per hour since it was published (at most `max_hours`)."""
    last = _hour(now or timezone.now())
    published = article.published_at or last
    first = max(_hour(published), last - timedelta(hours=max_hours - 1))
    if first > last:
        return []
    counts = dict(
        ViewBucket.objects.filter(article=article, hour__gte=first).values_list(
            "hour", "views"
        )
    )
    hours = int((last - first).total_seconds() // 3600) + 1
    return [counts.get(first + timedelta(hours=i), 0) for i in range(hours)]

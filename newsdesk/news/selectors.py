"""Reads of the content model for pages, feeds and other apps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404
from django.utils import timezone

from newsdesk.news.models import Article, Category, Tag

LIST_FIELDS = ("category",)


def live_articles() -> QuerySet[Article]:
    return Article.objects.live().select_related(*LIST_FIELDS)


def get_category_by_path(path: str) -> Category:
    category = Category.objects.filter(path=path.strip("/")).first()
    if category is None:
        raise Http404("No such section")
    return category


def categories_by_path(paths: list[str]) -> list[Category]:
    """Categories for `paths`, ordered as given (one query)."""
    found = {c.path: c for c in Category.objects.filter(path__in=paths)}
    return [found[p] for p in paths if p in found]


def breadcrumb(category: Category) -> list[Category]:
    return categories_by_path(category.ancestor_paths)


def top_categories() -> list[Category]:
    return list(Category.objects.filter(parent__isnull=True))


def subcategories(category: Category) -> list[Category]:
    return list(category.children.all())


def subtree_filter(category: Category, prefix: str = "category__") -> Q:
    return Q(**{f"{prefix}path": category.path}) | Q(
        **{f"{prefix}path__startswith": category.path + "/"}
    )


def category_articles(category: Category) -> QuerySet[Article]:
    return live_articles().filter(subtree_filter(category))


def tag_articles(tag: Tag) -> QuerySet[Article]:
    return live_articles().filter(tags=tag)


def get_article(pk: int) -> Article:
    article = (
        Article.objects.select_related("category", "source")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
    if article is None:
        raise Http404("No such article")
    return article


def lead_story() -> Article | None:
    """The newest featured live article, else the newest live article."""
    qs = live_articles()
    return qs.filter(featured=True).first() or qs.first()


def latest_by_section(
    *, per_section: int, exclude: set[int]
) -> list[tuple[Category, list[Article]]]:
    """Newest live articles of each top-level section, in one query."""
    sections = top_categories()
    ranked = (
        live_articles()
        .exclude(pk__in=exclude)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("category__root")],
                order_by=[F("published_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_section)
    )
    by_root: dict[int, list[Article]] = {}
    for article in ranked:
        by_root.setdefault(article.category.root_id, []).append(article)
    return [(s, by_root[s.pk]) for s in sections if by_root.get(s.pk)]


def published_per_day(*, days: int, now=None) -> list[tuple[date, int]]:
    """Live articles by UTC day of publication, oldest first, zero days included."""
    now = now or timezone.now()
    first = (now - timedelta(days=days - 1)).date()
    start = datetime.combine(first, time.min, tzinfo=UTC)
    counts = dict(
        Article.objects.live(now)
        .filter(published_at__gte=start)
        .annotate(day=TruncDate("published_at", tzinfo=UTC))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]

"""Reads of the content model for pages, feeds and other apps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Length, RowNumber, TruncDate
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


def latest_by_section(
    *, per_section: int, exclude: set[int], since=None
) -> list[tuple[Category, list[Article]]]:
    """Newest live articles of each top-level section, in one query; with
    `since`, only articles published since then (stale sections are left out)."""
    sections = top_categories()
    recent = live_articles()
    if since is not None:
        recent = recent.filter(published_at__gte=since)
    ranked = (
        recent.defer("body")
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


# --- the front page ---------------------------------------------------------------

FRONT_POOL = 40  # newest articles the lead, top stories and briefs come from
FRONT_TOP = 4  # top stories beside the lead
FRONT_PER_SECTION = 4  # items per section front on the home page
FRONT_BRIEFS = 6  # "In brief" items
BRIEF_CHARS = 700  # a body shorter than this is a brief (wire brief, ticker item)
FRESH_DAYS = 30  # a section whose newest story is older than this stays off home
LEAD_CHARS = 110  # a longer headline does not lead unless featured
TOP_CHARS = 130  # ... nor stand among the top stories while shorter ones wait


@dataclass
class FrontPage:
    lead: Article | None = None
    top: list[Article] = field(default_factory=list)
    sections: list[tuple[Category, list[Article]]] = field(default_factory=list)
    briefs: list[Article] = field(default_factory=list)

    @property
    def shown(self) -> set[int]:
        articles = [self.lead, *self.top, *self.briefs]
        articles += [a for _, items in self.sections for a in items]
        return {a.pk for a in articles if a is not None}


def front_page() -> FrontPage:
    """The home page's hierarchy, each article once: a lead (featured, else the
    newest with a standfirst or image among the latest, else the newest), the
    next top stories, one front per section with fresh news, and short items
    "In brief". Four queries whatever the size of the site.
    """
    pool = list(
        live_articles()
        .defer("body")
        .annotate(text_length=Length("body_text"))[:FRONT_POOL]
    )
    if not pool:
        return FrontPage()
    lead = live_articles().filter(featured=True).defer("body").first()
    if lead is None:
        # What a front page leads with: a story told in a headline and a
        # standfirst (or image), not a 200-character sentence.
        short = [a for a in pool if len(a.headline) <= LEAD_CHARS]
        told = [a for a in short if a.standfirst or a.lead_image]
        lead = (told or short or pool)[0]
    rest = [a for a in pool if a.pk != lead.pk]
    # Top stories: the newest, articles before briefs and short headlines
    # before long ones; shown newest first.
    ranked = sorted(
        rest,
        key=lambda a: (a.text_length < BRIEF_CHARS, len(a.headline) > TOP_CHARS),
    )
    top = sorted(ranked[:FRONT_TOP], key=rest.index)
    shown = {lead.pk, *(a.pk for a in top)}
    sections = latest_by_section(
        per_section=FRONT_PER_SECTION,
        exclude=shown,
        since=pool[0].published_at - timedelta(days=FRESH_DAYS),
    )
    shown |= {a.pk for _, items in sections for a in items}
    briefs = [a for a in rest if a.pk not in shown and a.text_length < BRIEF_CHARS]
    briefs = briefs[:FRONT_BRIEFS]
    return FrontPage(lead=lead, top=top, sections=sections, briefs=briefs)


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

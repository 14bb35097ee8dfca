"""Reads of the content model for pages, feeds and other apps."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length, TruncDate
from django.db.models.query import ModelIterable
from django.http import Http404
from django.utils import timezone

from newsdesk.news import caching
from newsdesk.news.models import (
    LIVE_STATUSES,
    Article,
    Category,
    Source,
    Tag,
    _Likely,
)

# Never shown in lists: a list of 20 need not read 20 article bodies.
HEAVY_FIELDS = ("body", "body_text")


class _WithCategory(ModelIterable):
    """Articles with their category attached from the process's section tree.

    Instead of select_related("category"): the join makes SQLite's planner walk
    the categories and sort each one's articles, where the article table alone
    is read newest first from its (published_at, id) index and stops after the
    LIMIT.
    """

    def __iter__(self):
        return _with_categories(super().__iter__())


def _with_categories(articles):
    by_pk = _category_tree().by_pk
    cache = Article.category.field.set_cached_value
    for article in articles:
        # A column left out by .only() stays unread: reading it here would
        # cost a query per row (the sitemaps list articles without it).
        category = by_pk.get(article.__dict__.get("category_id"))
        if category is not None:
            cache(article, category)
        yield article


def attach_categories(articles) -> list[Article]:
    """`articles` with their category set from the process's section tree (for
    rows read without the ORM's queryset, e.g. Model.objects.raw)."""
    return list(_with_categories(articles))


def list_columns(alias: str) -> str:
    """The SELECT list of an article in lists (no HEAVY_FIELDS), its table
    named `alias`: for hand-written SQL read through Article.objects.raw."""
    return ", ".join(
        f"{alias}.{connection.ops.quote_name(f.column)}"
        for f in Article._meta.concrete_fields
        if f.name not in HEAVY_FIELDS
    )


def live_articles() -> QuerySet[Article]:
    qs = Article.objects.live()
    qs._iterable_class = _WithCategory
    return qs


def list_articles() -> QuerySet[Article]:
    """Live articles for lists (blocks, section and topic pages): no bodies."""
    return live_articles().defer(*HEAVY_FIELDS)


# Every page draws the section menu and a breadcrumb: the section tree (a few
# hundred rows at most, rarely edited) is read once per process every
# CATEGORY_SECONDS, and at once after a category is saved in this process.
CATEGORY_SECONDS = 60.0


class _Tree:
    def __init__(self, rows: list[Category]):
        self.expires = time.monotonic() + CATEGORY_SECONDS
        self.by_path = {c.path: c for c in rows}
        self.by_pk = {c.pk: c for c in rows}
        self.top = [c for c in rows if c.parent_id is None]
        self.children: dict[int, list[Category]] = {}
        for c in rows:  # rows are in menu order (Category.Meta.ordering)
            if c.parent_id is not None:
                self.children.setdefault(c.parent_id, []).append(c)


_tree: _Tree | None = None
_tree_lock = threading.Lock()


def _category_tree() -> _Tree:
    global _tree
    tree = _tree
    if tree is None or time.monotonic() >= tree.expires:
        with _tree_lock:
            tree = _tree
            if tree is None or time.monotonic() >= tree.expires:
                tree = _tree = _Tree(list(Category.objects.all()))
    return tree


def forget_categories(**kwargs) -> None:
    """Drop this process's copy of the section tree (a category changed)."""
    global _tree
    _tree = None


def get_category_by_path(path: str) -> Category:
    category = _category_tree().by_path.get(path.strip("/"))
    if category is None:
        raise Http404("No such section")
    return category


def find_categories(paths) -> dict[str, Category]:
    """{path: category} for those of `paths` that exist, read from the database
    now: for writers (ingest rules, purges), where the per-process section tree
    pages read may be a minute old."""
    paths = sorted({p.strip("/") for p in paths})
    return {c.path: c for c in Category.objects.filter(path__in=paths)}


def categories_by_path(paths: list[str]) -> list[Category]:
    """Categories for `paths`, ordered as given."""
    found = _category_tree().by_path
    return [found[p] for p in paths if p in found]


def breadcrumb(category: Category) -> list[Category]:
    return categories_by_path(category.ancestor_paths)


def top_categories() -> list[Category]:
    return list(_category_tree().top)


def subcategories(category: Category) -> list[Category]:
    return list(_category_tree().children.get(category.pk, ()))


def subtree_filter(category: Category, prefix: str = "category__") -> Q:
    return Q(**{f"{prefix}path": category.path}) | Q(
        **{f"{prefix}path__startswith": category.path + "/"}
    )


def subtree_ids(category: Category) -> list[int]:
    """The ids of `category` and every section under it (the section tree)."""
    prefix = category.path + "/"
    return [category.pk] + [
        c.pk for path, c in _category_tree().by_path.items() if path.startswith(prefix)
    ]


def category_articles(category: Category) -> QuerySet[Article]:
    """Live articles of the section and its sub-sections, newest first.

    By category id, not through a join on the path: a leaf section reads its
    (category, published_at, id) index in order; a section with sub-sections
    reads the live-order index newest first and stops at the page's LIMIT
    (the condition marked likely so that SQLite's planner does not fetch every
    article of the subtree and sort them: a cost that grew with the site).
    """
    ids = subtree_ids(category)
    if len(ids) == 1:
        return list_articles().filter(category_id=ids[0])
    return list_articles().filter(_Likely(Q(category_id__in=ids)))


def tag_articles(tag: Tag) -> QuerySet[Article]:
    return list_articles().filter(tags=tag)


def get_article(pk: int) -> Article:
    """The article with its source and tags loaded (404 if there is none).

    What select_related("source").prefetch_related("tags") gives, in two
    hand-written statements: on an article page the ORM spent ~2 ms compiling
    those two queries, the database ~0.1 ms running them. The category comes
    from the section tree, as in lists.
    """
    sql = _article_sql()
    found = list(Article.objects.raw(sql.article, [pk]))
    if not found:
        raise Http404("No such article")
    article = found[0]
    # The source's columns came under aliases: taken off the article.
    row = [article.__dict__.pop(f"_source_{n}") for n in sql.source_names]
    source = None
    if article.source_id is not None:
        source = Source.from_db(connection.alias, sql.source_names, sql.source(row))
    Article.source.field.set_cached_value(article, source)
    with connection.cursor() as cursor:
        cursor.execute(sql.tags, [pk])
        tags = [
            Tag.from_db(connection.alias, sql.tag_names, sql.tag(row))
            for row in cursor.fetchall()
        ]
    # Stored as prefetch_related stores it: article.tags.all() reads this list.
    tag_qs = article.tags.all()
    tag_qs._result_cache = tags
    tag_qs._prefetch_done = True
    article._prefetched_objects_cache = {Article.tags.field.name: tag_qs}
    return attach_categories([article])[0]


@dataclass(frozen=True)
class _ArticleSQL:
    article: str
    tags: str
    source_names: list[str]
    tag_names: list[str]
    source: Callable[[list], list]  # a raw row's values as the ORM converts them
    tag: Callable[[list], list]


def _row_converter(model) -> Callable[[list], list]:
    """Applies the database's and the fields' converters, as the ORM does."""
    steps = []
    for i, f in enumerate(model._meta.concrete_fields):
        col = f.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        steps += [(i, c, col) for c in found]

    def convert(row) -> list:
        row = list(row)
        for i, c, col in steps:
            row[i] = c(row[i], col, connection)
        return row

    return convert


@functools.cache
def _article_sql() -> _ArticleSQL:
    q = connection.ops.quote_name
    source_fields = Source._meta.concrete_fields
    tag_fields = Tag._meta.concrete_fields
    columns = [f"a.{q(f.column)}" for f in Article._meta.concrete_fields]
    columns += [
        f"s.{q(f.column)} AS {q('_source_' + f.attname)}" for f in source_fields
    ]
    through = Article.tags.through._meta.db_table
    # Only model metadata is interpolated; the id is a parameter.
    return _ArticleSQL(
        article=(
            f"SELECT {', '.join(columns)} FROM {q(Article._meta.db_table)} a "  # noqa: S608
            f"LEFT JOIN {q(Source._meta.db_table)} s ON s.id = a.source_id "
            "WHERE a.id = %s"
        ),
        tags=(
            f"SELECT {', '.join('t.' + q(f.column) for f in tag_fields)} "  # noqa: S608
            f"FROM {q(Tag._meta.db_table)} t JOIN {q(through)} x ON x.tag_id = t.id "
            "WHERE x.article_id = %s ORDER BY t.name"
        ),
        source_names=[f.attname for f in source_fields],
        tag_names=[f.attname for f in tag_fields],
        source=_row_converter(Source),
        tag=_row_converter(Tag),
    )


# Lists that are the same for every request (the home page's lead and section
# lists, the blocks' Latest and Most read) are read once per process every
# NEWSDESK_SHARED_BLOCK_SECONDS; at once after an article changes in this
# process (news.apps), and within a second after one changes in another process
# or on another host (the change clock in the default cache, which they share).
_memo: dict = {}
CLOCK_SECONDS = 1.0
_clock = [0.0, 0.0]  # next check (monotonic), last change seen (wall time)


def _changed_after(wall: float) -> bool:
    now = time.monotonic()
    if now >= _clock[0]:
        _clock[0] = now + CLOCK_SECONDS
        _clock[1] = cache.get(caching.CHANGE_CLOCK_KEY) or 0.0
    return _clock[1] >= wall


def shared(key, compute):
    """compute(), remembered for NEWSDESK_SHARED_BLOCK_SECONDS under `key`.

    Callers only read what it returns (it is shared between requests). The
    time the value was computed is noted for the page cache (a page is as old
    as the oldest shared list it shows: news.caching.note_data_time).
    """
    now = time.monotonic()
    hit = _memo.get(key)
    if hit is not None and hit[0] > now and not _changed_after(hit[2]):
        caching.note_data_time(hit[2])
        return hit[1]
    wall = time.time()
    value = compute()
    seconds = settings.NEWSDESK_SHARED_BLOCK_SECONDS
    if seconds > 0:
        _memo[key] = (now + seconds, value, wall)
    caching.note_data_time(wall)
    return value


def forget_shared(**kwargs) -> None:
    _memo.clear()


def lead_story() -> Article | None:
    """The newest featured live article, else the newest live article."""
    return shared("lead", _lead_story)


def _lead_story() -> Article | None:
    qs = list_articles()
    return qs.filter(featured=True).first() or qs.first()


def latest_by_section(
    *, per_section: int, exclude: set[int], since=None
) -> list[tuple[Category, list[Article]]]:
    """Newest live articles of each top-level section (sub-sections included);
    with `since`, only articles published since then (stale sections are left
    out). Shared between requests for NEWSDESK_SHARED_BLOCK_SECONDS."""
    key = ("latest_by_section", per_section, frozenset(exclude), since)
    return shared(key, lambda: _latest_by_section(per_section, exclude, since))


def _latest_by_section(
    per_section: int, exclude: set[int], since
) -> list[tuple[Category, list[Article]]]:
    """latest_by_section, uncached.

    Two queries whatever the number of articles: the newest few of every
    category, each read in order from the (category, published_at, id) index
    (one UNION ALL), then those chosen. A window over every live article would
    sort them all.
    """
    tree = _category_tree()
    if not tree.by_path:
        return []
    take = per_section + len(exclude)
    # Only the model's own table name is interpolated; every value is a parameter.
    part = (
        f"SELECT * FROM (SELECT id, category_id, published_at FROM {_ARTICLE} "  # noqa: S608
        "WHERE category_id = %s AND status IN (%s, %s) AND published_at <= %s "
        "AND published_at >= %s "
        "ORDER BY published_at DESC, id DESC LIMIT %s) AS c{n}"
    )
    now = timezone.now()
    live = LIVE_STATUSES
    categories = list(tree.by_path.values())
    sql = " UNION ALL ".join(part.format(n=n) for n in range(len(categories)))
    params: list = []
    for c in categories:
        params += [c.pk, *live, now, since or datetime.min.replace(tzinfo=UTC), take]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    root_of = {c.pk: c.root_id or c.pk for c in categories}
    rows.sort(key=lambda r: (r[2], r[0]), reverse=True)
    chosen: dict[int, list[int]] = {}
    for pk, category_id, _ in rows:
        picked = chosen.setdefault(root_of[category_id], [])
        if pk not in exclude and len(picked) < per_section:
            picked.append(pk)
    found = list_articles().in_bulk([pk for ids in chosen.values() for pk in ids])
    return [
        (s, [found[pk] for pk in chosen[s.pk] if pk in found])
        for s in tree.top
        if chosen.get(s.pk)
    ]


_ARTICLE = Article._meta.db_table


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
    "In brief". Four queries whatever the size of the site, shared between
    requests for NEWSDESK_SHARED_BLOCK_SECONDS (the same for every reader).
    """
    return shared("front_page", _front_page)


def _front_page() -> FrontPage:
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
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
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

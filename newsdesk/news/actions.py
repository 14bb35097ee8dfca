"""Writes to the content model. Every path (admin, ingest, demo) goes through here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from newsdesk.news import images
from newsdesk.news.models import Article, Category, Source, Tag
from newsdesk.news.sanitize import ensure_clean
from newsdesk.news.signals import article_changed

SLUG_MAX = 200


def make_slug(text: str, *, max_length: int = SLUG_MAX) -> str:
    slug = slugify(text, allow_unicode=True)[:max_length].strip("-")
    return slug or "article"


@transaction.atomic
def do_save_category(category: Category) -> Category:
    """Save `category` and refresh the denormalized path/root/depth of its subtree."""
    if not category.slug:
        category.slug = make_slug(category.name, max_length=100)
    parent = category.parent
    category.path = f"{parent.path}/{category.slug}" if parent else category.slug
    category.depth = parent.depth + 1 if parent else 0
    category.root_id = (parent.root_id or parent.pk) if parent else None
    category.save()
    if category.root_id is None:
        Category.objects.filter(pk=category.pk).update(root=category.pk)
        category.root_id = category.pk
    for child in category.children.all():
        do_save_category(child)
    return category


def get_or_create_category_path(names_and_slugs: Iterable[tuple[str, str]]) -> Category:
    """Category for a path given as (name, slug) pairs, creating missing levels."""
    parent = None
    for name, slug in names_and_slugs:
        category = Category.objects.filter(parent=parent, slug=slug).first()
        if category is None:
            category = do_save_category(Category(name=name, slug=slug, parent=parent))
        parent = category
    if parent is None:
        raise ValueError("a category path needs at least one level")
    return parent


def get_or_create_tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = " ".join(raw.split())[:150]
        if not name:
            continue
        # "Budget" typed by an editor is the tag "budget" a feed brought.
        tag = Tag.objects.filter(name__iexact=name).order_by("pk").first()
        if tag is None:
            base = make_slug(name, max_length=150)
            slug, n = base, 2
            while Tag.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            tag = Tag.objects.create(name=name, slug=slug)
        tags.append(tag)
    return tags


_collecting: ContextVar[set[int] | None] = ContextVar("collecting", default=None)


def _announce(article_id: int) -> None:
    """Tell listeners (the related index...) once the change has committed."""
    pending = _collecting.get()
    if pending is not None:
        pending.add(article_id)
        return
    transaction.on_commit(
        lambda: article_changed.send(Article, article_ids=[article_id])
    )


@contextlib.contextmanager
def collect_changes() -> Iterator[None]:
    """Announce the articles changed inside the block once, at its end.

    For bulk writers (feed runs, imports): listeners then update once for the
    whole batch instead of once per article.
    """
    if _collecting.get() is not None:  # nested: the outer block announces
        yield
        return
    pending: set[int] = set()
    token = _collecting.set(pending)
    try:
        yield
    finally:
        _collecting.reset(token)
        if pending:
            ids = sorted(pending)
            transaction.on_commit(
                lambda: article_changed.send(Article, article_ids=ids)
            )


def _prepare(article: Article, *, now: datetime) -> None:
    if not article.slug:
        article.slug = make_slug(article.headline)
    if article.status == Article.Status.PUBLISHED and not article.published_at:
        article.published_at = now
    if (
        article.source_id
        and not article.pk
        and article.source.indexing == (Source.Indexing.NOINDEX)
    ):
        article.noindex = True


def _store(
    article: Article,
    *,
    created: bool,
    now: datetime,
    tags: Iterable[Tag] | None,
    touch: bool,
) -> None:
    """The one way an article reaches the database: defaults, the "Updated"
    stamp, the row (its body sanitized once: Article.save keeps a body
    clean_html made), tags, lead-image renditions, one announcement."""
    _prepare(article, now=now)
    if touch and not created and article.is_live(now):
        article.updated_at = now
    article.save()
    if tags is not None:
        if created:
            article.tags.add(*tags)
        else:
            article.tags.set(tags)
    if article.lead_image:
        images.ensure_renditions(
            article.lead_image.name,
            focal_x=article.lead_image_focal_x,
            focal_y=article.lead_image_focal_y,
        )
    _announce(article.pk)


@transaction.atomic
def do_save_article(
    article: Article, *, tags: Iterable[Tag] | None = None, touch: bool = False
) -> Article:
    """Save an article that passed validation (full_clean or a ModelForm): the
    admin's and the editors' path.

    `touch` marks an editorial update readers should see ("Updated ...").
    """
    _store(
        article, created=article.pk is None, now=timezone.now(), tags=tags,
        touch=touch,
    )  # fmt: skip
    return article


def do_publish(article: Article, *, at: datetime | None = None) -> Article:
    """Publish now, or schedule for `at` (live then without any cron)."""
    now = timezone.now()
    if at is not None and at > now:
        article.status = Article.Status.SCHEDULED
        article.published_at = at
    else:
        article.status = Article.Status.PUBLISHED
        article.published_at = article.published_at or now
    return do_save_article(article)


def do_withdraw(article: Article) -> Article:
    article.status = Article.Status.WITHDRAWN
    return do_save_article(article, touch=False)


@dataclass(frozen=True)
class UpsertResult:
    article: Article
    created: bool
    changed: bool


UPSERT_FIELDS = (
    "headline", "standfirst", "body", "category", "byline", "credit", "dateline",
    "original_url", "original_published_at", "status", "published_at", "noindex",
    "published_precision",
)  # fmt: skip


def _apply_fields(article: Article, fields: dict) -> bool:
    """Set the UPSERT_FIELDS present in `fields`; whether anything changed."""
    changed = False
    for name in UPSERT_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "body":
            # Once: a body ingest cleaned (with the item's base URL) is kept.
            value = ensure_clean(value)
        if name == "category":
            if article.category_id != value.pk:
                article.category = value
                changed = True
        elif getattr(article, name) != value:
            setattr(article, name, value)
            changed = True
    return changed


@transaction.atomic(savepoint=False)
def do_upsert_article(
    *,
    source: Source,
    external_id: str,
    fields: dict,
    tags: Iterable[Tag] | None = None,
    tag_names: Iterable[str] = (),
    existing: Article | None = None,
    is_new: bool = False,
) -> UpsertResult:
    """Create or update the article `source` knows as `external_id`: the one
    write path of ingest (feeds, file imports, the demo) and of any caller
    holding a source's article.

    Idempotent: re-running with the same fields changes nothing. A new version
    from the source updates the article and its "updated" time. The row is
    locked before it is changed (select_for_update), the body is sanitized
    once, the change announced once (or once per batch, `collect_changes`).

    Tags come as `tags` (resolved; bulk callers cache them) or `tag_names`.
    `existing` is the article when the caller already loaded it (ideally with
    `prefetch_related("tags")`); `is_new=True` says the caller checked that
    none exists, so no lookup is made (the unique source/external_id index
    still rejects a duplicate). Field validation (lengths, URLs, choices) runs;
    uniqueness is left to the database. No savepoint is opened: bulk callers
    hold their own per item.
    """
    if not external_id:
        raise ValueError("an upserted article needs the source's external_id")
    article = existing
    if article is None and not is_new:
        # The exclude repeats the unique index's condition so that SQLite can use
        # that partial index instead of scanning the source's articles.
        article = (
            Article.objects.select_for_update()
            .filter(source=source, external_id=external_id)
            .exclude(external_id="")
            .first()
        )
    created = article is None
    if created:
        article = Article(source=source, external_id=external_id)
    changed = _apply_fields(article, fields) or created
    tags = list(tags) if tags is not None else get_or_create_tags(tag_names)
    # tags.all(): served from a prefetch when the caller made one.
    if not created and {t.pk for t in tags} != {t.pk for t in article.tags.all()}:
        changed = True
    if not changed:
        return UpsertResult(article=article, created=False, changed=False)
    if existing is not None:
        # Loaded without a lock (in bulk): take it now, before writing.
        Article.objects.select_for_update().filter(pk=article.pk).values_list(
            "pk", flat=True
        ).first()
    article.full_clean(
        exclude=["slug", "category", "tags", "source"],
        validate_unique=False,
        validate_constraints=False,
    )
    _store(article, created=created, now=timezone.now(), tags=tags, touch=True)
    return UpsertResult(article=article, created=created, changed=True)


def get_or_create_source(name: str, **defaults) -> Source:
    """The source named `name` (cut to the field's length), created with
    `defaults` when there is none. Ingest, its command and the demo use it."""
    source, _ = Source.objects.get_or_create(name=name[:200], defaults=defaults)
    return source


@transaction.atomic
def do_set_lead_image(
    article: Article,
    *,
    name: str,
    width: int | None,
    height: int | None,
    alt: str,
    caption: str,
    credit: str,
    licence: str,
) -> Article:
    """Make the stored file `name` the article's lead image (ingest's images).

    The caller checked the file (Pillow opened it within the pixel limit) and
    gives non-empty alt text, credit and licence, as `Article.clean` asks.
    Renditions are made once per file: an image shared by articles reuses them.
    """
    article.lead_image.name = name
    article.lead_image_width, article.lead_image_height = width, height
    article.lead_image_alt = alt
    article.lead_image_caption = caption
    article.lead_image_credit = credit
    article.lead_image_licence = licence
    _store(article, created=False, now=timezone.now(), tags=None, touch=False)
    return article

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
from newsdesk.news.sanitize import clean_html
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


@transaction.atomic
def do_save_article(
    article: Article, *, tags: Iterable[Tag] | None = None, touch: bool = False
) -> Article:
    """Save an article that passed validation (full_clean or a ModelForm).

    `touch` marks an editorial update readers should see ("Updated ...").
    """
    now = timezone.now()
    created = article.pk is None
    _prepare(article, now=now)
    if touch and not created and article.is_live(now):
        article.updated_at = now
    article.save()
    if tags is not None:
        article.tags.set(tags)
    if article.lead_image:
        images.ensure_renditions(
            article.lead_image.name,
            focal_x=article.lead_image_focal_x,
            focal_y=article.lead_image_focal_y,
        )
    _announce(article.pk)
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
            value = clean_html(value)
        if name == "category":
            if article.category_id != value.pk:
                article.category = value
                changed = True
        elif getattr(article, name) != value:
            setattr(article, name, value)
            changed = True
    return changed


@transaction.atomic
def do_upsert_article(
    *,
    source: Source,
    external_id: str,
    fields: dict,
    tag_names: Iterable[str] = (),
) -> UpsertResult:
    """Create or update the article `source` knows as `external_id`.

    Idempotent: re-running with the same fields changes nothing. A new version
    from the source updates the article and its "updated" time.
    """
    if not external_id:
        raise ValueError("an upserted article needs the source's external_id")
    article = (
        Article.objects.select_for_update()
        .filter(source=source, external_id=external_id)
        # Spelled out so SQLite can use the partial unique index (it only
        # considers a partial index when the query repeats its condition).
        .exclude(external_id="")
        .first()
    )
    created = article is None
    if created:
        article = Article(source=source, external_id=external_id)
    changed = _apply_fields(article, fields) or created
    tags = get_or_create_tags(tag_names)
    if not created and {t.pk for t in tags} != set(
        article.tags.values_list("pk", flat=True)
    ):
        changed = True
    if changed:
        article.full_clean(exclude=["slug", "category", "tags"])
        do_save_article(article, tags=tags, touch=not created)
    return UpsertResult(article=article, created=created, changed=changed)


@transaction.atomic(savepoint=False)
def do_import_article(
    *,
    source: Source,
    external_id: str,
    fields: dict,
    tags: list[Tag],
    existing: Article | None = None,
    is_new: bool = False,
) -> UpsertResult:
    """`do_upsert_article` for bulk imports (ingest), which call it once per item.

    The same field rules and the same save path, minus the per-item costs that
    matter at thousands of items: tags come resolved (the caller caches them),
    `existing` may be passed when the caller already holds the row, no nested
    savepoint is opened, and the model's constraints are left to the database
    (the unique source/external_id index rejects a duplicate; imports set no
    lead image). Field validation (lengths, URLs, choices) still runs.

    `existing` is the article when the caller already loaded it (ideally with
    `prefetch_related("tags")`); `is_new=True` says the caller checked that none
    exists, so no lookup is made.
    """
    if not external_id:
        raise ValueError("an imported article needs the source's external_id")
    article = existing
    if article is None and not is_new:
        # The exclude repeats the unique index's condition so that SQLite can use
        # that partial index instead of scanning the source's articles.
        article = (
            Article.objects.filter(source=source, external_id=external_id)
            .exclude(external_id="")
            .first()
        )
    created = article is None
    if created:
        article = Article(source=source, external_id=external_id)
    changed = _apply_fields(article, fields) or created
    tag_ids = {t.pk for t in tags}
    # tags.all(): served from a prefetch when the caller made one.
    if not created and tag_ids != {t.pk for t in article.tags.all()}:
        changed = True
    if not changed:
        return UpsertResult(article=article, created=False, changed=False)
    now = timezone.now()
    _prepare(article, now=now)
    article.full_clean(
        exclude=["slug", "category", "tags", "source"],
        validate_unique=False,
        validate_constraints=False,
    )
    if not created and article.is_live(now):
        article.updated_at = now
    article.save()
    if created:
        if tags:
            article.tags.add(*tags)
    else:
        article.tags.set(tags)
    _announce(article.pk)
    return UpsertResult(article=article, created=created, changed=True)


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
    article.save(
        update_fields=[
            "lead_image", "lead_image_width", "lead_image_height", "lead_image_alt",
            "lead_image_caption", "lead_image_credit", "lead_image_licence",
            "modified_at",
        ]
    )  # fmt: skip
    images.ensure_renditions(
        name, focal_x=article.lead_image_focal_x, focal_y=article.lead_image_focal_y
    )
    _announce(article.pk)
    return article

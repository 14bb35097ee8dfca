"""The ingest pipeline after parsing: normalize -> sanitize -> dedupe -> upsert.

Each item is written in its own transaction through news.actions; an item that
fails is recorded in IngestError and skipped, the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from newsdesk.ingest import actions as ingest_actions
from newsdesk.ingest import rules as rules_mod
from newsdesk.ingest.duplicates import (
    NearDuplicates,
    content_digest,
    get_duplicate_index,
)
from newsdesk.ingest.fetcher import FetchConfig
from newsdesk.ingest.models import ContentFingerprint, Feed, IngestError, Tombstone
from newsdesk.ingest.parsers import Item, ItemError, ItemStatus
from newsdesk.ingest.parsers.base import plain_text
from newsdesk.news import actions
from newsdesk.news.models import Article, Category, Source, Tag
from newsdesk.news.sanitize import clean_html, html_to_text
from newsdesk.news.selectors import find_categories

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass
class Target:
    """Where and how one run's items become articles."""

    source: Source
    category: Category
    rules: list[rules_mod.Rule] = field(default_factory=list)
    publish: bool = False
    noindex: bool = True
    feed: Feed | None = None
    # Skip copies of other articles: exact ones (same normalized headline and
    # body) always, near ones when a near-duplicate index is configured.
    near_duplicates: bool = True
    # Set to download items' lead images (feed runs; file imports do not).
    image_config: FetchConfig | None = None

    @classmethod
    def for_feed(cls, feed: Feed) -> Target:
        return cls(
            source=feed.source,
            category=feed.category,
            rules=rules_mod.parse_rules(feed.mapping_rules),
            publish=feed.publish,
            noindex=feed.indexing == Source.Indexing.NOINDEX,
            feed=feed,
        )


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    skipped: int = 0
    failed: int = 0
    images_stored: int = 0
    images_failed: int = 0
    images_deferred: int = 0  # left for the next run (time budget spent)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Draft:
    """An item ready to store: sanitized article fields and tag names."""

    fields: dict
    tags: tuple[str, ...]
    text: str
    digest: str  # of the normalized headline and body text (exact duplicates)


class Skip(Exception):  # noqa: N818 (a control-flow signal, not an error)
    """The item is deliberately not stored (duplicate, tombstoned)."""


# -- stages ------------------------------------------------------------------------
def sanitize(item: Item) -> tuple[str, str]:
    """(body, standfirst) with untrusted HTML reduced to the site's allowlist."""
    base = item.base_url or item.url or None
    body = clean_html(item.content_html, base_url=base)
    standfirst = ""
    if item.summary_html and item.content_html:
        standfirst = html_to_text(clean_html(item.summary_html, base_url=base))
    return body, standfirst


def normalize(
    item: Item, *, target: Target, categories: dict[str, Category], now: datetime
) -> Draft:
    body, standfirst = sanitize(item)
    body_text = html_to_text(body)
    text = f"{item.title}\n{body_text}"
    # Parsers hand over plain text already; a second pass only catches markup
    # from other producers, and must not empty a title of text like "<b>".
    headline = (plain_text(item.title) or " ".join(item.title.split()))[:300]
    path = rules_mod.match_path(target.rules, categories=item.categories, text=text)
    category = categories.get(path, target.category) if path else target.category
    published = item.published
    if published is not None and published > now:
        published = None  # a clock ahead of ours must not schedule wire copy
    fields = {
        "headline": headline,
        "standfirst": standfirst,
        "body": body,
        "byline": item.author[:200],
        "dateline": item.dateline[:100],
        "original_url": item.url,
        "original_published_at": item.published,
        "category": category,
        "noindex": target.noindex,
        "status": Article.Status.PUBLISHED if target.publish else Article.Status.DRAFT,
        "published_at": (published or now) if target.publish else None,
        "published_precision": Article.Precision.DAY
        if item.date_only and published is not None
        else Article.Precision.MINUTE,
    }
    return Draft(
        fields=fields,
        tags=item.tags,
        text=text,
        digest=content_digest(headline, body_text),
    )


# Editors own these once an article exists; a new version from the wire changes
# only the copy.
CREATE_ONLY = ("category", "noindex", "status", "published_at")


class Run:
    """One pass of items from one source; keeps per-run lookups in memory."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.counts = Counts()
        self.now = timezone.now()
        self.categories = self._rule_categories()
        self.tombstones: set[str] = set()
        self.known: dict[str, Article] = {}  # by external_id, this source
        self.foreign_urls: set[str] = set()
        self.tag_cache: dict[str, Tag | None] = {}
        self.images = None
        if target.image_config is not None:
            from newsdesk.ingest.images import LeadImages

            self.images = LeadImages(
                config=target.image_config, source=target.source, feed=target.feed
            )
        self.stored: Article | None = None
        self.near = None
        if target.near_duplicates:
            index = get_duplicate_index()
            self.near = NearDuplicates(index) if index is not None else None

    def _rule_categories(self) -> dict[str, Category]:
        paths = {r.path for r in self.target.rules}
        found = find_categories(paths)
        for missing in sorted(paths - set(found)):
            self.record(
                IngestError.Stage.PARSE, f"mapping rule names no section {missing!r}"
            )
        return found

    def _preload(self, items: list[Item]) -> None:
        source = self.target.source
        guids = [i.guid for i in items]
        self.tombstones |= set(
            Tombstone.objects.filter(source=source, external_id__in=guids).values_list(
                "external_id", flat=True
            )
        )
        self.known.update(
            (a.external_id, a)
            # exclude(): lets SQLite use the partial unique index (see news.actions)
            for a in Article.objects.filter(source=source, external_id__in=guids)
            .exclude(external_id="")
            .select_related("source")
            .prefetch_related("tags")
        )
        urls = [i.url for i in items if i.url]
        self.foreign_urls.update(
            Article.objects.filter(original_url__in=urls)
            .exclude(source=source)
            .values_list("original_url", flat=True)
        )

    def record(
        self, stage: str, message: str, *, external_id: str = "", position=None
    ) -> None:
        IngestError.objects.create(
            feed=self.target.feed,
            source=self.target.source,
            stage=stage,
            external_id=external_id[:500],
            position=position,
            message=message[:5000],
        )

    def record_item_errors(self, errors: Iterable[ItemError]) -> None:
        for error in errors:
            self.counts.failed += 1
            self.record(
                IngestError.Stage.ITEM,
                error.message,
                external_id=error.guid,
                position=error.position,
            )

    def tags(self, names: tuple[str, ...]) -> list[Tag]:
        for name in names:
            if name not in self.tag_cache:
                found = actions.get_or_create_tags([name])
                self.tag_cache[name] = found[0] if found else None
        unique = {t.pk: t for n in names if (t := self.tag_cache[n]) is not None}
        return list(unique.values())

    # -- per item ----------------------------------------------------------------
    def dedupe(self, item: Item, draft: Draft) -> str:
        """The external id to store `item` under, or Skip."""
        if item.guid in self.tombstones:
            raise Skip("deleted or killed earlier")
        if item.guid in self.known:
            return item.guid  # a new version of a known item
        # Within one source the GUID is authoritative (several items may share a
        # URL, e.g. a live page); across sources a shared URL is the same story.
        if item.url and item.url in self.foreign_urls:
            raise Skip("another source already carries this URL")
        if self.target.near_duplicates:
            # Exact copies first: the near-duplicate check ignores short texts.
            # Unordered ([:1], not first()): ordered by id, the planner may walk
            # the primary key testing each digest when the table has no
            # statistics yet (a first big import), once per item.
            same = next(
                iter(
                    ContentFingerprint.objects.filter(digest=draft.digest)
                    .exclude(article__status=Article.Status.WITHDRAWN)
                    .order_by()
                    .values_list("article_id", flat=True)[:1]
                ),
                None,
            )
            if same is not None:
                raise Skip(f"same headline and body as article {same}")
        if self.near is not None:
            other = self.near.duplicate_of(draft.text)
            if other is not None:
                raise Skip(f"near-duplicate of article {other}")
        return item.guid

    def store(self, item: Item) -> str:
        source = self.target.source
        if item.status is not ItemStatus.USABLE:
            return self.withdraw(item)
        draft = normalize(
            item, target=self.target, categories=self.categories, now=self.now
        )
        external_id = self.dedupe(item, draft)
        fields = dict(draft.fields)
        if external_id in self.known:
            for name in CREATE_ONLY:
                fields.pop(name)
        result = actions.do_upsert_article(
            source=source,
            external_id=external_id,
            fields=fields,
            tags=self.tags(draft.tags),
            existing=self.known.get(external_id),
            is_new=external_id not in self.known,
        )
        self.stored = result.article
        if result.created:
            ContentFingerprint.objects.create(
                article=result.article, digest=draft.digest
            )
            self.known[external_id] = result.article
            if self.near is not None:
                self.near.remember(result.article.pk, draft.text)
            return "created"
        if not result.changed:
            return "unchanged"
        ContentFingerprint.objects.update_or_create(
            article=result.article, defaults={"digest": draft.digest}
        )
        return "updated"

    def withdraw(self, item: Item) -> str:
        source = self.target.source
        ingest_actions.do_bury(
            source_id=source.pk, external_id=item.guid, reason=f"wire {item.status}"
        )
        self.tombstones.add(item.guid)
        article = (
            Article.objects.filter(source=source, external_id=item.guid)
            .exclude(external_id="")
            .first()
        )
        if article is None or article.status == Article.Status.WITHDRAWN:
            return "skipped"
        actions.do_withdraw(article)
        return "withdrawn"

    def process(self, items: Iterable[Item]) -> Counts:
        batch: list[Item] = []
        for item in items:
            batch.append(item)
            if len(batch) >= BATCH:
                self._process_batch(batch)
                batch = []
        if batch:
            self._process_batch(batch)
        return self.counts

    def _process_batch(self, items: list[Item]) -> None:
        # Listeners (the related index) hear about the batch once, not per item.
        with actions.collect_changes():
            self._process_items(items)

    def _process_items(self, items: list[Item]) -> None:
        self._preload(items)
        for position, item in enumerate(items):
            self.stored = None
            try:
                with transaction.atomic():
                    outcome = self.store(item)
            except Skip as reason:
                log.debug("skipped %s: %s", item.guid, reason)
                outcome = "skipped"
            except Exception as exc:  # noqa: BLE001 (one bad item must not stop the feed)
                # Tags created in the rolled-back transaction are gone again.
                self.tag_cache.clear()
                self.counts.failed += 1
                self.record(
                    IngestError.Stage.ITEM,
                    _describe(exc),
                    external_id=item.guid,
                    position=position,
                )
                continue
            setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
            if self.images is not None and self.stored is not None and item.image_url:
                self._attach_image(item, position)

    def _attach_image(self, item: Item, position: int) -> None:
        """The item's lead image, after the item committed: a failure here
        never undoes or stops the item (ingest/images.py)."""
        assert self.images is not None and self.stored is not None
        try:
            self.images.attach(self.stored, item, position=position)
        except Exception as exc:  # noqa: BLE001 (an image must not stop the feed)
            log.exception("lead image of %s failed", item.guid)
            self.images.failed += 1
            self.record(
                IngestError.Stage.IMAGE,
                _describe(exc),
                external_id=item.guid,
                position=position,
            )
        self.counts.images_stored = self.images.stored
        self.counts.images_failed = self.images.failed
        self.counts.images_deferred = self.images.deferred


def _describe(exc: Exception) -> str:
    message_dict = getattr(exc, "message_dict", None)
    if message_dict:
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in message_dict.items())
    return f"{type(exc).__name__}: {exc}"


def process_items(
    target: Target, items: Iterable[Item], *, errors: Iterable[ItemError] = ()
) -> Counts:
    """Store `items` for `target`; parser `errors` are recorded as failed items."""
    run = Run(target)
    run.record_item_errors(errors)
    counts = run.process(items)
    if target.feed is not None:
        Feed.objects.filter(pk=target.feed.pk).update(
            items_created=F("items_created") + counts.created,
            items_updated=F("items_updated") + counts.updated,
            items_withdrawn=F("items_withdrawn") + counts.withdrawn,
            items_skipped=F("items_skipped") + counts.skipped,
            items_failed=F("items_failed") + counts.failed,
            images_stored=F("images_stored") + counts.images_stored,
            images_failed=F("images_failed") + counts.images_failed,
        )
    return counts

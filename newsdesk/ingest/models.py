from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from newsdesk.news.models import Article, Category, Source


class Feed(models.Model):
    """A feed or wire endpoint polled for a Source; its status is kept here."""

    class Format(models.TextChoices):
        AUTO = "auto", _("Detect")
        RSS = "rss", _("RSS")
        ATOM = "atom", _("Atom")
        JSONFEED = "jsonfeed", _("JSON Feed")
        NINJS = "ninjs", _("IPTC ninjs")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="feeds")
    url = models.URLField(max_length=1000, unique=True)
    format = models.CharField(
        max_length=10, choices=Format.choices, default=Format.AUTO
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where items go when no mapping rule matches.",
    )
    mapping_rules = models.TextField(
        blank=True,
        help_text=(
            "One rule a line, first match wins: “category: Sports => sport” matches a "
            "feed category, “keyword: election => politics” a word of the headline "
            "or summary; the right side is a section path such as world/europe."
        ),
    )
    indexing = models.CharField(
        max_length=10,
        choices=Source.Indexing.choices,
        default=Source.Indexing.NOINDEX,
        help_text="Republished wire copy is usually kept out of search engines.",
    )
    publish = models.BooleanField(
        default=False,
        help_text="Publish new items at once; otherwise they wait as drafts.",
    )
    enabled = models.BooleanField(default=True)
    poll_minutes = models.PositiveIntegerField(default=15)

    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    next_fetch_at = models.DateTimeField(null=True, blank=True, editable=False)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    fetch_count = models.PositiveIntegerField(default=0, editable=False)
    error_count = models.PositiveIntegerField(default=0, editable=False)
    consecutive_errors = models.PositiveIntegerField(default=0, editable=False)
    items_created = models.PositiveIntegerField(default=0, editable=False)
    items_updated = models.PositiveIntegerField(default=0, editable=False)
    items_withdrawn = models.PositiveIntegerField(default=0, editable=False)
    items_skipped = models.PositiveIntegerField(default=0, editable=False)
    items_failed = models.PositiveIntegerField(default=0, editable=False)
    images_stored = models.PositiveIntegerField(default=0, editable=False)
    images_failed = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["source__name", "url"]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.url}"


class IngestError(models.Model):
    """An item (or a whole fetch) that was rejected, with the reason."""

    class Stage(models.TextChoices):
        FETCH = "fetch", _("Fetch")
        PARSE = "parse", _("Parse")
        ITEM = "item", _("Item")
        RUN = "run", _("Run")  # an unexpected failure while running a feed
        IMAGE = "image", _("Image")  # an item's lead image (the item is kept)

    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.CASCADE, related_name="errors"
    )
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    external_id = models.CharField(max_length=500, blank=True)
    position = models.IntegerField(null=True, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stage}: {self.message[:80]}"


class Tombstone(models.Model):
    """An item that was deleted or killed: ingest never brings it back."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=500)
    reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="tombstone_unique_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"


class ContentFingerprint(models.Model):
    """The hash of an ingested article's normalized headline and body text.

    The same story re-sent under a new id is recognised by it, however short:
    the near-duplicate check needs 40 words to say anything, this needs none.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    digest = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return f"{self.article_id}:{self.digest[:12]}"


class RemoteImage(models.Model):
    """A feed's image URL, downloaded once: the stored file, or why it failed.

    Items naming the same URL share the file (and its renditions); a failed
    URL is tried again only after `RETRY_AFTER` (see ingest/images.py).
    """

    url_hash = models.CharField(max_length=64, unique=True)
    url = models.URLField(max_length=1000)
    file = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url

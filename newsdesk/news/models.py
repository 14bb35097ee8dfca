from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newsdesk.news.sanitize import ensure_clean, html_to_text

_URL_FORMATS: dict[tuple, str] = {}
_SAFE = "!$&'()*+,;=/~:@"  # what reverse() leaves unquoted (RFC 3986 sub-delims...)


def fast_reverse(name: str, **kwargs) -> str:
    """reverse(name, kwargs=kwargs) for the two URLs every list repeats (an
    article's, a section's), at the cost of a string format: the URL's shape is
    taken from reverse() once per URLconf and script prefix."""
    key = (name, get_urlconf(), get_script_prefix(), tuple(kwargs))
    fmt = _URL_FORMATS.get(key)
    if fmt is None:
        marks = {
            k: f"9182736450{i}" if isinstance(v, int) else f"zz{k}mark{i}zz"
            for i, (k, v) in enumerate(kwargs.items())
        }
        fmt = reverse(name, kwargs=marks).replace("{", "{{").replace("}", "}}")
        for k, mark in marks.items():
            fmt = fmt.replace(mark, "{" + k + "}", 1)
        _URL_FORMATS[key] = fmt
    return fmt.format(
        **{
            k: str(v) if str(v).isascii() else quote(str(v), safe=_SAFE)
            for k, v in kwargs.items()
        }
    )


# Top-level URL segments that belong to the site itself, never to a category.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "news", "tag", "tags", "search", "static", "media", "feeds",
        "feed", "sitemap.xml", "sitemaps", "robots.txt", "about", "reader", "beacon",
        "engagement", "discovery", "ingest", "favicon.ico", "rss", "atom",
    }
)  # fmt: skip


class Category(models.Model):
    """A section of the site; categories nest to any depth (/business/markets/)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Denormalized by actions.do_save_category so that pages resolve a category and
    # its ancestors with one indexed query, whatever the depth.
    path = models.CharField(max_length=500, unique=True, editable=False)
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers come first in menus."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "slug"], name="category_unique_slug_per_parent"
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(parent__isnull=True),
                name="category_unique_top_level_slug",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (/{self.path}/)" if self.depth else self.name

    def get_absolute_url(self) -> str:
        return fast_reverse("news:category", path=self.path)

    def clean(self) -> None:
        if self.parent_id is None and self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {"slug": f"“{self.slug}” is used by the site itself; choose another."}
            )
        node = self.parent
        while node is not None:
            if self.pk and node.pk == self.pk:
                raise ValidationError({"parent": "A category cannot be inside itself."})
            node = node.parent

    @property
    def ancestor_paths(self) -> list[str]:
        parts = self.path.split("/")
        return ["/".join(parts[: i + 1]) for i in range(len(parts))]


class Tag(models.Model):
    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=160, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("news:tag", kwargs={"slug": self.slug})


class Source(models.Model):
    """A provider of content: a wire agency, a feed, the newsroom itself."""

    class Indexing(models.TextChoices):
        INDEX = "index", _("Index (original content)")
        NOINDEX = "noindex", _("No index (republished copy)")

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(blank=True)
    credit = models.CharField(
        max_length=100, blank=True, help_text="Short credit shown on articles, e.g. AP."
    )
    licence = models.CharField(max_length=200, blank=True)
    licence_url = models.URLField(blank=True)
    attribution = models.TextField(
        blank=True,
        help_text="Attribution text shown with every article of this source.",
    )
    indexing = models.CharField(
        max_length=10, choices=Indexing.choices, default=Indexing.INDEX
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_credit(self) -> str:
        return self.credit or self.name


def is_live(status: str, published_at, now=None) -> bool:
    """Visible to readers: published, or scheduled with its time reached.

    What "live" means, once: Article.is_live, rows read without the model
    (discovery) and, in SQL, ArticleQuerySet.live and news.selectors use it.
    """
    now = now or timezone.now()
    return status in LIVE_STATUSES and published_at is not None and published_at <= now


class _Likely(models.Func):
    """A condition that holds for most rows, said so to SQLite's planner.

    Without ANALYZE statistics (a fresh or freshly migrated database) SQLite
    takes any equality on an indexed column as selective: for the live filter
    it read every live article through (status, published_at), then sorted
    them all for a newest-first list of 20 (17 ms at 10,000 articles, growing
    with the site). Marked likely, the lists read the newest-first indexes and
    stop at their LIMIT. Other databases get the bare condition.
    """

    function = "likely"
    output_field = models.BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, **extra_context)


class ArticleQuerySet(models.QuerySet):
    def live(self, now=None):
        """Visible to readers: published, or scheduled with its time reached.

        Scheduled articles need no cron: they are live from `published_at` on.
        """
        now = now or timezone.now()
        return self.filter(_Likely(Q(status__in=LIVE_STATUSES)), published_at__lte=now)


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Precision(models.TextChoices):
        MINUTE = "minute", _("Date and time")
        DAY = "day", _("Date only")

    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=200,
        allow_unicode=True,
        blank=True,
        help_text="Filled from the headline when left empty.",
    )
    standfirst = models.TextField(blank=True, help_text="One or two sentences.")
    body = models.TextField(blank=True, help_text="HTML; sanitized on save.")
    body_text = models.TextField(blank=True, editable=False)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    byline = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    credit = models.CharField(
        max_length=100, blank=True, help_text="Overrides the source's credit, e.g. AP."
    )
    dateline = models.CharField(max_length=100, blank=True, help_text="e.g. BEIJING")
    original_url = models.URLField(max_length=1000, blank=True)
    original_published_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(
        max_length=500, blank=True, help_text="The source's own id (GUID) of the item."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When the site publishes it (UTC)."
    )
    # What the publication times are known to: a source that gives only the
    # day is stored at 00:00 UTC, and pages must not show that as a time.
    published_precision = models.CharField(
        max_length=6,
        choices=Precision.choices,
        default=Precision.MINUTE,
        db_default=Precision.MINUTE,
        help_text="Whether the publication times are known to the minute or "
        "only to the day (both published and originally published).",
    )
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Last editorial update shown to readers."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    featured = models.BooleanField(
        default=False, help_text="Lead story on the home page."
    )
    noindex = models.BooleanField(
        default=False, help_text="Ask search engines not to index (republished copy)."
    )
    lead_image = models.ImageField(
        upload_to="lead/%Y/%m/",
        null=True,
        blank=True,
        width_field="lead_image_width",
        height_field="lead_image_height",
    )
    lead_image_width = models.PositiveIntegerField(
        null=True, blank=True, editable=False
    )
    lead_image_height = models.PositiveIntegerField(
        null=True, blank=True, editable=False
    )
    lead_image_alt = models.CharField(max_length=300, blank=True)
    lead_image_caption = models.CharField(max_length=500, blank=True)
    lead_image_credit = models.CharField(
        max_length=200,
        blank=True,
        help_text="Photographer or agency, e.g. Jane Doe/AP.",
    )
    lead_image_licence = models.CharField(
        max_length=200,
        blank=True,
        help_text="Under what terms the site may show it, e.g. “Staff photo”, "
        "“CC BY-SA 4.0”, “AP licence”.",
    )
    lead_image_focal_x = models.PositiveSmallIntegerField(
        default=50,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Focal point, % from the left: crops keep it in view.",
    )
    lead_image_focal_y = models.PositiveSmallIntegerField(
        default=50,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Focal point, % from the top.",
    )

    objects = ArticleQuerySet.as_manager()
    # Why a list shows it ("Because you read ..."); set by block providers.
    block_note = ""

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [
            ("publish_article", "Can publish, schedule and withdraw articles")
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_pub"),
            # The live lists' order (newest first, id breaking ties): walked in
            # order, the newest N live articles cost N index steps instead of a
            # sort of every live article (status IN (...) cannot use the
            # status-first index for ordering).
            models.Index(fields=["-published_at", "-id"], name="article_live_order"),
            models.Index(
                fields=["category", "-published_at", "-id"], name="article_cat_order"
            ),
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(featured=True),
                name="article_lead_order",
            ),
            models.Index(
                fields=["category", "status", "-published_at"], name="article_cat_pub"
            ),
            # Incremental consumers (recommender refresh) read what changed since.
            models.Index(fields=["modified_at"], name="article_modified"),
            # Ingest's dedupe by URL. (An index in Meta, not db_index: on SQLite
            # altering a field rebuilds the table and drops the FTS triggers.)
            models.Index(fields=["original_url"], name="article_original_url"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="article_unique_source_external_id",
            ),
            models.CheckConstraint(
                condition=Q(lead_image="")
                | Q(lead_image__isnull=True)
                | ~Q(lead_image_alt=""),
                name="article_lead_image_needs_alt",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs):
        # Sanitizing here, not in a form, so that no save path (admin, ingest,
        # shell, fixtures) can store unsafe HTML.
        self.body = ensure_clean(self.body)
        self.body_text = html_to_text(self.body)
        if (
            kwargs.get("update_fields") is not None
            and "body" in kwargs["update_fields"]
        ):
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        key = (self.pk, self.slug)
        memo = self.__dict__.get("_url")
        if memo is None or memo[0] != key:
            memo = self.__dict__["_url"] = (key, fast_reverse(
                "news:article", pk=self.pk, slug=self.slug
            ))  # fmt: skip
        return memo[1]

    def clean(self) -> None:
        if self.lead_image:
            missing = {
                name: message
                for name, message in (
                    (
                        "lead_image_alt",
                        "Describe the image for readers who cannot see it.",
                    ),
                    ("lead_image_credit", "Say who made the image."),
                    ("lead_image_licence", "Say under what licence it is shown."),
                )
                if not getattr(self, name).strip()
            }
            if missing:
                raise ValidationError(missing)
        if self.status == self.Status.SCHEDULED and not self.published_at:
            raise ValidationError(
                {"published_at": "A scheduled article needs a publication time."}
            )

    def is_live(self, now=None) -> bool:
        return is_live(self.status, self.published_at, now)

    @property
    def display_credit(self) -> str:
        if self.credit:
            return self.credit
        return self.source.display_credit if self.source_id else ""

    @property
    def summary(self) -> str:
        """What a list shows under the headline: the standfirst, else the body's
        opening paragraph when it says more than the headline does."""
        if self.standfirst:
            return self.standfirst
        opening = self.body_text.split("\n\n", 1)[0].strip()
        if opening.casefold().startswith(
            (self.headline.casefold().rstrip("."), "sources:")
        ):
            return ""
        return opening

    @property
    def date_only(self) -> bool:
        """The publication times are known only to the day."""
        return self.published_precision == self.Precision.DAY

    @property
    def was_updated(self) -> bool:
        """Updated noticeably after publication (not just typo fixes at publish)."""
        return bool(
            self.updated_at
            and self.published_at
            and (self.updated_at - self.published_at).total_seconds() > 300
        )


# Renditions live in their own module (newsdesk.news.images); importing the model
# here registers it with the app.
from newsdesk.news.images import Image, Rendition  # noqa: E402, F401

LIVE_STATUSES = (Article.Status.PUBLISHED, Article.Status.SCHEDULED)

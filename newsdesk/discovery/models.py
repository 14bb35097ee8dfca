"""Discovery's tables: precomputed related lists, story/duplicate membership, and
(models_recommend) reading history. Pages only read these rows; similarity is
computed when articles change, never per request."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from newsdesk.discovery.models_recommend import ReadingHistory  # noqa: F401
from newsdesk.news.models import Article


class RelatedLink(models.Model):
    """`related` is the `rank`-th related article of `article` (1 = best)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()

    class Meta:
        ordering = ["article", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "related"], name="relatedlink_unique_pair"
            ),
            models.UniqueConstraint(
                fields=["article", "rank"], name="relatedlink_unique_rank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} -> {self.related_id} (#{self.rank})"


class Cluster(models.Model):
    """An article's story (a `Story` id) and duplicate group (the id of the
    group's first article; itself when unique)."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="cluster"
    )
    story_id = models.BigIntegerField(db_index=True)
    duplicate_group = models.BigIntegerField(db_index=True)
    indexed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.article_id}: story {self.story_id}, group {self.duplicate_group}"


class IndexState(models.Model):
    """The related and story engines' saved state (related_index), one row
    shared by every host: a writer on any host loads it, works, and saves it
    with a new `token`, the cheap version stamp that tells another host's
    cached engines are stale. Kept in the database it describes, so it can
    never be read against another database (a restored or recreated one)."""

    name = models.CharField(max_length=40, primary_key=True)
    token = models.CharField(max_length=32)
    generation = models.BigIntegerField(default=0)
    engine = models.CharField(max_length=200, help_text="The related engine's class.")
    related = models.BinaryField()
    stories = models.BinaryField()
    saved_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} #{self.generation}"


class Story(models.Model):
    """A news story: every report of one event (discovery/stories.py).

    `key` is the story engine's stable key (empty for a story an editor made by
    splitting one); a rebuild finds its row again by that key. A merged story
    keeps its row and points at the story that absorbed it, so its URL
    redirects. Editors' decisions (`title_pinned`, `merged_by_editor`,
    StoryPin rows) win over the engine's and survive rebuilds.
    """

    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)
    title_pinned = models.BooleanField(
        default=False, help_text="Keep this title; otherwise it follows the reports."
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_by_editor = models.BooleanField(default=False)
    size = models.PositiveIntegerField(default=0, help_text="Live reports.")
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["-last_published_at"], name="story_latest")]

    def __str__(self) -> str:
        return self.title or f"Story {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("discovery:story", kwargs={"pk": self.pk, "slug": self.slug})

    @property
    def slug(self) -> str:
        return slugify(self.title)[:80].strip("-") or "story"


class StoryPin(models.Model):
    """An editor's decision: this article belongs to that story, whatever the
    engine decides later (a move or a split)."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="pins")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.article_id} -> story {self.story_id}"


class StoryMember(Cluster):
    """An article in its story, as editors see it in the admin (move, split)."""

    class Meta:
        proxy = True
        verbose_name = "story member"

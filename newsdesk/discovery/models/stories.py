"""News stories: every report of one event, and editors' decisions about them."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from newsdesk.discovery.models.related import Cluster
from newsdesk.news.models import Article


class Story(models.Model):
    """A news story: every report of one event (engines/stories.py, stories/).

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

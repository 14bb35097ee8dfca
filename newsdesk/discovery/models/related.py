"""The related index's tables: precomputed related lists, story/duplicate
membership, the engines' saved state. Pages only read these rows; similarity is
computed when articles change, never per request."""

from __future__ import annotations

from django.db import models

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
    """The related and story engines' saved state (related/index.py), one row
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

"""The related index's tables: precomputed related lists, story/duplicate
membership, the database's identity. Pages only read these rows; similarity is
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


class IndexIdentity(models.Model):
    """This database's identity (one row): the related index on disk is named by
    it, so an index written for another database (a test run's, a restored or
    recreated one, where ids are reused with other times) is never loaded."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token

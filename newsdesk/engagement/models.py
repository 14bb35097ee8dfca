"""Engagement storage: per-article totals, hourly buckets, recent readers, reactions.

Views are never stored one row per hit: `ArticleStats` holds the running total
and `ViewBucket` one row per article per hour (pruned after the retention
period). `RecentReader` is the de-duplication memory of the view window, pruned
as soon as the window has passed. Readers appear only as 64-bit keyed hashes.
"""

from __future__ import annotations

from django.db import models

from newsdesk.news.models import Article


class ArticleStats(models.Model):
    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "article stats"

    def __str__(self) -> str:
        return f"{self.article_id}: {self.views} views"


class ViewBucket(models.Model):
    """Views of one article in one UTC hour; the source of "Most read"."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    # Start of the hour; a plain aware datetime keeps range queries indexable.
    hour = models.DateTimeField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "hour"], name="viewbucket_unique_article_hour"
            )
        ]
        indexes = [models.Index(fields=["hour", "article"], name="viewbucket_hour")]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.hour:%Y-%m-%d %H}: {self.views}"


class RecentReader(models.Model):
    """The last counted view of an article by a reader, kept for one window.

    `seen_at` is Unix time in seconds (UTC by definition): the write path
    compares it in a single upsert statement per batch, where integer
    arithmetic is portable between SQLite and PostgreSQL.
    """

    article_id = models.BigIntegerField()
    reader = models.BigIntegerField()
    seen_at = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article_id", "reader"], name="recentreader_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}/{self.reader}"


class IpQuota(models.Model):
    """New views of an article from one client address in one view window.

    The per-address cap (NEWSDESK_VIEW_IP_CAP) reads and grows `views` in the
    same upsert that records them. `ip` is the keyed hash of the address with
    the daily salt (engagement.readers.address_key), never the address; rows
    are pruned once their window has passed.
    """

    article_id = models.BigIntegerField()
    ip = models.BigIntegerField()
    slot = models.BigIntegerField()  # Unix time // window length
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article_id", "ip", "slot"], name="ipquota_unique"
            )
        ]
        indexes = [models.Index(fields=["slot"], name="ipquota_slot")]

    def __str__(self) -> str:
        return f"{self.article_id}/{self.ip}@{self.slot}: {self.views}"


class DrainedBatch(models.Model):
    """A Redis batch of pending views applied to the database.

    Written in the transaction that applies the batch and deleted after the
    batch's Redis key: a drainer killed between the commit and that delete
    leaves the key, and the next drainer finds this row and drops the key
    instead of counting it twice. Leftovers are pruned after a day.
    """

    name = models.CharField(max_length=255, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.name


class DailySalt(models.Model):
    """Random salt of one UTC day for hashing cookieless readers; deleted after."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)


class Reaction(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="reactions"
    )
    reader = models.BigIntegerField()
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One reaction per reader per article, whatever the concurrency.
            models.UniqueConstraint(
                fields=["article", "reader"], name="reaction_one_per_reader"
            )
        ]
        indexes = [
            models.Index(fields=["article", "kind"], name="reaction_article_kind"),
            models.Index(fields=["updated_at"], name="reaction_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.article_id}"

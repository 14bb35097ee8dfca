"""Reading history for personal recommendations.

One row per reader per article, holding the time of the latest counted read;
capped per reader (NEWSDESK_READING_HISTORY_SIZE) and expiring
(NEWSDESK_READING_HISTORY_DAYS). Readers appear only as the 64-bit keyed hash of
their random first-party cookie (engagement.readers.cookie_key): a cleared
cookie, or a cleared history, leaves nothing that points back to the reader.
"""

from __future__ import annotations

from django.db import models

from newsdesk.news.models import Article


class ReadingHistory(models.Model):
    reader = models.BigIntegerField()
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "reading history"
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "article"], name="readinghistory_reader_article"
            )
        ]
        indexes = [
            # A reader's latest reads (the recommendation request, the reader page).
            models.Index(fields=["reader", "-read_at"], name="readinghistory_recent"),
            # Expiry and the engine's feed of new reads.
            models.Index(fields=["read_at"], name="readinghistory_read_at"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} read {self.article_id} at {self.read_at:%Y-%m-%d %H:%M}"

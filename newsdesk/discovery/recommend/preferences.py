"""What reads and writes of reading history share: the name of the reader's
preference cookie and how long reads are kept. Both `selectors` and `actions`
import it, so the writes need nothing from the reads (selectors -> actions only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

PREFERENCE_COOKIE = "newsdesk_personalise"


def history_since(now: datetime) -> datetime:
    """The oldest read still kept at `now` (NEWSDESK_READING_HISTORY_DAYS)."""
    return now - timedelta(days=settings.NEWSDESK_READING_HISTORY_DAYS)

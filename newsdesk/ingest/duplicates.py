"""The optional near-duplicate hook: "is this text a copy of a recent article?".

The index comes from `settings.NEWSDESK_INGEST_DUPLICATES` (a dotted path to a
factory taking no arguments); the default is discovery's MinHash index when that
module is installed, and ingest works without it (GUID and URL dedupe still run).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from newsdesk.news.models import Article

log = logging.getLogger(__name__)

DEFAULT_FACTORY = "newsdesk.discovery.engines.duplicates.DuplicateIndex"
# Shorter texts share too few word pairs for a similarity estimate to mean much.
MIN_WORDS = 40
SEED_WINDOW = timedelta(days=2)
SEED_LIMIT = 2000


class DuplicateIndex(Protocol):
    def add(self, slot: int, text: str) -> set[int]: ...

    def remove(self, slot: int) -> None: ...


_SPACE = re.compile(r"\s+")


def content_digest(headline: str, body_text: str) -> str:
    """SHA-256 of headline and body text, normalized (NFKC, case and whitespace
    folded) so that a re-sent copy matches whatever spacing the wire used."""
    text = unicodedata.normalize("NFKC", f"{headline}\n{body_text}").casefold()
    return hashlib.sha256(_SPACE.sub(" ", text).strip().encode()).hexdigest()


def get_duplicate_index() -> DuplicateIndex | None:
    path = settings.NEWSDESK_INGEST_DUPLICATES or DEFAULT_FACTORY
    if path.lower() == "none":
        return None
    try:
        factory = import_string(path)
    except ImportError:
        if settings.NEWSDESK_INGEST_DUPLICATES:
            raise
        log.info("near-duplicate detection off: %s is not installed", path)
        return None
    return factory()


class NearDuplicates:
    """Per-run wrapper: seeded with recent articles, then fed every stored item."""

    def __init__(self, index: DuplicateIndex) -> None:
        self.index = index
        self.slot_article: dict[int, int] = {}
        self._next = 0
        since = timezone.now() - SEED_WINDOW
        recent = (
            Article.objects.filter(created_at__gte=since)
            .exclude(status=Article.Status.WITHDRAWN)
            .order_by("-created_at")
            .values_list("pk", "headline", "body_text")[:SEED_LIMIT]
        )
        for pk, headline, body_text in recent:
            text = f"{headline}\n{body_text}"
            if len(text.split()) >= MIN_WORDS:
                self.remember(pk, text)

    def _slot(self) -> int:
        self._next += 1
        return self._next - 1

    def remember(self, article_id: int, text: str) -> None:
        slot = self._slot()
        self.index.add(slot, text)
        self.slot_article[slot] = article_id

    def duplicate_of(self, text: str) -> int | None:
        """The id of an indexed article `text` copies, else None (text not kept)."""
        if len(text.split()) < MIN_WORDS:
            return None
        slot = self._slot()
        found = self.index.add(slot, text)
        self.index.remove(slot)
        for other in sorted(found):
            if other in self.slot_article:
                return self.slot_article[other]
        return None

"""Discovery's signal receivers: reading history from engagement's counted
views (engagement.signals), related indexing of changed articles
(news.signals.article_changed)."""

from __future__ import annotations

import logging

from django.conf import settings

from newsdesk.discovery import tasks
from newsdesk.discovery.recommend import actions as recommend_actions
from newsdesk.discovery.recommend.selectors import request_personalisation
from newsdesk.discovery.related import index as related_index

log = logging.getLogger(__name__)


def record_history(sender, *, request, hit, **kwargs) -> None:
    """Buffer the read when the beacon's reader allows personalisation.

    The reader's choice comes from the beacon request itself: its preference
    cookie, else `Sec-GPC: 1` meaning no. A reader without a cookie is hashed
    by IP + UA for counting, but their history belongs to the cookie issued
    with this response (`hit.alias`).
    """
    if not request_personalisation(request).enabled:
        return
    reader = hit.alias if hit.alias is not None else hit.reader
    recommend_actions.record_read(reader, hit.article_id, hit.at)


def on_article_changed(sender, *, article_ids, **kwargs) -> None:
    """Index an editor's change at once; hand big batches (feed runs, imports)
    to the background worker so ingest never waits for similarity."""
    if len(article_ids) > settings.NEWSDESK_RELATED_INLINE_MAX:
        tasks.index_articles.enqueue(list(article_ids))
        return
    try:
        related_index.index_articles(article_ids)
    except Exception:
        # The articles are saved; a failed index update must not fail the
        # editor's request. `python -m newsdesk discovery rebuild` repairs it.
        log.exception("indexing articles %s failed", article_ids[:20])

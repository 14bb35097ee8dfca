"""Which pages an article change makes stale, as news.caching tags."""

from __future__ import annotations

import logging

from newsdesk.cache import pages
from newsdesk.cache.purge import get_purge_backend
from newsdesk.news import caching
from newsdesk.news.models import Article
from newsdesk.news.selectors import find_categories

log = logging.getLogger(__name__)
CHUNK = 500


def tags_for_articles(article_ids) -> set[str]:
    """The article's page and every page listing it; its sections (at every
    level) and topics, whose lists may now start with it; and the pages that
    list every section (home, main feeds, sitemaps, API lists). Three queries
    per 500 articles."""
    ids = sorted(set(article_ids))
    tags = {caching.LATEST, *map(caching.article_tag, ids)}
    paths: set[str] = set()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for path in Article.objects.filter(pk__in=chunk).values_list(
            "category__path", flat=True
        ):
            parts = path.split("/")
            paths.update("/".join(parts[: n + 1]) for n in range(len(parts)))
        through = Article.tags.through.objects.filter(article_id__in=chunk)
        tags.update(map(caching.tag_tag, through.values_list("tag_id", flat=True)))
    categories = find_categories(paths).values()
    tags.update(caching.category_tag(c.pk) for c in categories)
    return tags


def purge_tags(tags) -> None:
    """Purge here (every process and host sharing the page cache) and beyond."""
    if pages.enabled():
        pages.purge(tags)
    backend = get_purge_backend()
    if backend is not None:
        backend.purge(tags)


def on_article_changed(sender, *, article_ids, **kwargs) -> None:
    # Sent after commit: a failure here must not turn a saved edit into an error.
    try:
        purge_tags(tags_for_articles(article_ids))
    except Exception:
        log.exception("purging the pages of articles %s failed", article_ids[:10])


def on_pages_changed(sender, *, tags, **kwargs) -> None:
    # Sent after commit, like article_changed: the change is saved whatever happens.
    try:
        purge_tags(set(tags))
    except Exception:
        log.exception("purging pages tagged %s failed", sorted(tags)[:10])

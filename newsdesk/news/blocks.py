"""The list blocks of a page (Related, Most read, Recommended) and their providers.

A provider is any callable
    provider(*, request, article, exclude: set[int], limit: int) -> list[Article]
returning live articles; it may set `block_note` on an article ("Because you
read ...") and may carry a `title` attribute for the block. It is chosen in
settings by dotted path
(NEWSDESK_RELATED_PROVIDER, ...); "" means the built-in provider below. The
built-ins are honest simple lists and stay the fallback of any smarter provider.
Whatever a provider returns, `page_blocks` enforces the contract: no current
article, no article twice in a list, no article in two blocks of one page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from newsdesk.news.models import Article
from newsdesk.news.selectors import live_articles

log = logging.getLogger(__name__)


@dataclass
class Block:
    key: str  # the data-block attribute: related | most-read | recommended
    title: str
    articles: list[Article] = field(default_factory=list)


def newest_in_category(*, request, article, exclude, limit):
    qs = live_articles().exclude(pk__in=exclude)
    if article is not None:
        qs = qs.filter(category_id=article.category_id)
    return list(qs[:limit])


def newest_site_wide(*, request, article, exclude, limit):
    return list(live_articles().exclude(pk__in=exclude)[:limit])


BLOCKS = (
    # key, title, setting, built-in provider
    ("related", "Related", "NEWSDESK_RELATED_PROVIDER", newest_in_category),
    ("most-read", "Most read", "NEWSDESK_MOST_READ_PROVIDER", newest_site_wide),
    ("recommended", "Recommended", "NEWSDESK_RECOMMENDED_PROVIDER", newest_site_wide),
)


def get_provider(setting_name: str, default):
    path = getattr(settings, setting_name, "")
    return import_string(path) if path else default


def _fill(key, provider, fallback, *, request, article, exclude, limit):
    """Articles from `provider`, topped up from `fallback`, contract enforced."""
    chosen: list[Article] = []
    taken = set(exclude)
    for source in (provider, fallback):
        if len(chosen) >= limit:
            break
        if source is None:
            continue
        try:
            items = source(request=request, article=article, exclude=taken, limit=limit)
        except Exception:
            # A broken engine must not take the article page down with it.
            log.exception("%s provider failed; using the fallback", key)
            continue
        for item in items:
            if item.pk in taken or len(chosen) >= limit:
                continue
            taken.add(item.pk)
            chosen.append(item)
        if source is fallback:
            break
    return chosen


def page_blocks(
    *,
    request,
    article: Article | None,
    exclude: set[int] = frozenset(),
    keys: tuple[str, ...] = ("related", "most-read", "recommended"),
) -> list[Block]:
    limit = settings.NEWSDESK_BLOCK_SIZE
    seen = set(exclude)
    if article is not None:
        seen.add(article.pk)
    blocks = []
    for key, title, setting_name, builtin in BLOCKS:
        if key not in keys:
            continue
        provider = get_provider(setting_name, builtin)
        fallback = builtin if provider is not builtin else None
        articles = _fill(
            key,
            provider,
            fallback,
            request=request,
            article=article,
            exclude=seen,
            limit=limit,
        )
        seen.update(a.pk for a in articles)
        blocks.append(
            Block(key=key, title=getattr(provider, "title", title), articles=articles)
        )
    return blocks


def no_extras(request, article) -> dict:
    """An article-extras hook that adds nothing (for sites without engagement)."""
    return {}

"""The list blocks of a page (Related, Most read, Recommended) and their providers.

A provider is any callable
    provider(*, request, article, exclude: set[int], limit: int) -> list[Article]
returning live articles; it may set `block_note` on an article ("Because you
read ...") and may carry a `title` attribute for the block and a `script`
attribute (a static path) that enhances the block in the browser. It is chosen in
settings by dotted path
(NEWSDESK_RELATED_PROVIDER, ...); "" means the built-in provider below. The
built-ins are honest simple lists and stay the fallback of any smarter provider.
Whatever a provider returns, `page_blocks` enforces the contract: no current
article, no article twice in a list, no article in two blocks of one page,
(when NEWSDESK_DUPLICATE_GROUPS names a lookup) no second copy of one report,
and a list is never topped up from another source under its title: a block
shows its provider's list, or only when that is empty its fallback's list
under the fallback's own title ("Latest", "More in this section").
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
    # A static file the block's provider enhances it with (the personal list);
    # pages without other scripts (home) load it from here.
    script: str = ""


def newest_in_category(*, request, article, exclude, limit):
    qs = live_articles().exclude(pk__in=exclude)
    if article is not None:
        qs = qs.filter(category_id=article.category_id)
    return list(qs[:limit])


def newest_site_wide(*, request, article, exclude, limit):
    return list(live_articles().exclude(pk__in=exclude)[:limit])


def more_news(*, request, article, exclude, limit):
    return newest_site_wide(
        request=request, article=article, exclude=exclude, limit=limit
    )


# A block filled only by its fallback says what it really shows.
newest_in_category.title = "More in this section"
newest_site_wide.title = "Latest"
more_news.title = "More news"


BLOCKS = (
    # key, title, setting, built-in provider
    ("related", "Related", "NEWSDESK_RELATED_PROVIDER", newest_in_category),
    ("most-read", "Most read", "NEWSDESK_MOST_READ_PROVIDER", newest_site_wide),
    ("recommended", "Recommended", "NEWSDESK_RECOMMENDED_PROVIDER", more_news),
)


def get_provider(setting_name: str, default):
    path = getattr(settings, setting_name, "")
    return import_string(path) if path else default


ROUNDS = 3  # provider calls per list when duplicates of shown reports are dropped


def _take(key, source, *, request, article, taken, limit, groups) -> list[Article]:
    """Up to `limit` articles from `source`, contract enforced; [] if it fails.

    Articles dropped as second copies of a report already on the page are
    excluded and the source asked again, a bounded number of times, so that
    a list of duplicates does not leave the block empty.
    """
    chosen: list[Article] = []
    asked = set(taken)
    for _ in range(ROUNDS):
        try:
            items = source(request=request, article=article, exclude=asked, limit=limit)
        except Exception:
            # A broken engine must not take the article page down with it.
            log.exception("%s provider failed; using the fallback", key)
            return chosen
        group_of = groups.lookup([item.pk for item in items])
        dropped = False
        for item in items:
            if item.pk in asked or len(chosen) >= limit:
                continue
            asked.add(item.pk)
            group = group_of.get(item.pk)
            if group is not None and group in groups.seen:
                dropped = True
                continue
            chosen.append(item)
            if group is not None:
                groups.seen.add(group)
        if len(chosen) >= limit or not dropped:
            break
    return chosen


def _fill(key, provider, fallback, *, request, article, exclude, limit, groups):
    """The block's articles and the source that chose them.

    A block shows its provider's list or, when that is empty, its fallback's:
    never a mix, so a list titled "Most read" or "Related" holds nothing else.
    `groups` is the page's duplicate-group bookkeeping (see page_blocks).
    """
    for source in (provider, fallback):
        if source is None:
            continue
        chosen = _take(
            key, source, request=request, article=article, taken=set(exclude),
            limit=limit, groups=groups,
        )  # fmt: skip
        if chosen:
            return chosen, source
    return [], fallback or provider


class _Groups:
    """Duplicate groups seen on one page, from NEWSDESK_DUPLICATE_GROUPS: a
    callable mapping article ids to group keys (ids without a group are left out)."""

    def __init__(self, article):
        path = settings.NEWSDESK_DUPLICATE_GROUPS
        self._lookup = import_string(path) if path else None
        self.seen: set = set()
        if article is not None and self._lookup is not None:
            self.seen.update(self._lookup([article.pk]).values())

    def lookup(self, ids) -> dict:
        return self._lookup(ids) if self._lookup is not None and ids else {}


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
    groups = _Groups(article)
    blocks = []
    for key, title, setting_name, builtin in BLOCKS:
        if key not in keys:
            continue
        provider = get_provider(setting_name, builtin)
        fallback = builtin if provider is not builtin else None
        articles, shown_by = _fill(
            key,
            provider,
            fallback,
            request=request,
            article=article,
            exclude=seen,
            limit=limit,
            groups=groups,
        )
        seen.update(a.pk for a in articles)
        blocks.append(
            Block(
                key=key,
                title=getattr(shown_by, "title", title),
                articles=articles,
                script=getattr(provider, "script", ""),
            )
        )
    return blocks

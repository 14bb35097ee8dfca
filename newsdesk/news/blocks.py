"""The list blocks of a page (Related, Most read, Recommended) and their providers.

A provider is any callable
    provider(*, request, article, exclude: set[int], limit: int) -> list[Article]
returning live articles; it may set `block_note` on an article ("Because you
read ...") and may carry a `title` attribute for the block. It is chosen in
settings by dotted path
(NEWSDESK_RELATED_PROVIDER, ...); "" means the built-in provider below. The
built-ins are honest simple lists and stay the fallback of any smarter provider.
Whatever a provider returns, `page_blocks` enforces the contract: no current
article, no article twice in a list, no article in two blocks of one page, and
(when NEWSDESK_DUPLICATE_GROUPS names a lookup) no second copy of one report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from newsdesk.news.models import Article
from newsdesk.news.selectors import forget_shared, list_articles

log = logging.getLogger(__name__)


@dataclass
class Block:
    key: str  # the data-block attribute: related | most-read | recommended
    title: str
    articles: list[Article] = field(default_factory=list)


def newest_in_category(*, request, article, exclude, limit):
    qs = list_articles().exclude(pk__in=exclude)
    if article is not None:
        qs = qs.filter(category_id=article.category_id)
    return list(qs[:limit])


def newest_site_wide(*, request, article, exclude, limit):
    return list(list_articles().exclude(pk__in=exclude)[:limit])


def more_news(*, request, article, exclude, limit):
    return newest_site_wide(
        request=request, article=article, exclude=exclude, limit=limit
    )


# The same for every page: asked once per process every few seconds.
newest_site_wide.shared_list = 20
more_news.shared_list = 20

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


# Lists that are the same on every page (a provider with `shared_list` set
# gives the same articles whatever the page, apart from what the page already
# shows) are asked once per NEWSDESK_SHARED_BLOCK_SECONDS per process, and each
# page drops what it already shows. `shared_list = N` asks for N more than a
# block shows, as spares; `True` for exactly as many (for providers whose
# choice depends on the count, like Most read's window).
_shared: dict = {}  # provider -> (expires, limit, articles, title)


def forget_shared_lists(**kwargs) -> None:
    """Articles changed: ask the shared lists' providers again."""
    _shared.clear()
    forget_shared()


def _ask(source, *, request, article, exclude, limit):
    """(articles, title) from `source`, from the shared copy when it may."""
    shared = getattr(source, "shared_list", False)
    if shared is False:
        items = source(request=request, article=article, exclude=exclude, limit=limit)
        return items, getattr(source, "title", None)
    now = time.monotonic()
    memo = _shared.get(source)
    want = limit + (0 if shared is True else int(shared))
    if memo is None or memo[0] <= now or memo[1] != want:
        items = source(request=None, article=None, exclude=frozenset(), limit=want)
        memo = (now + settings.NEWSDESK_SHARED_BLOCK_SECONDS, want, items,
                getattr(source, "title", None))  # fmt: skip
        _shared[source] = memo
    _, asked, items, title = memo
    current = article.pk if article is not None else None
    kept = [a for a in items if a.pk not in exclude and a.pk != current]
    if len(kept) < limit and len(items) >= asked:
        # The page excludes more than the shared copy has spare: ask directly.
        items = source(request=request, article=article, exclude=exclude, limit=limit)
        return items, getattr(source, "title", None)
    return kept[:limit], title


def _candidates(key, provider, fallback, *, request, article, taken, limit):
    """Up to `limit` articles not in `taken` from `provider`, topped up from
    `fallback`: [(article, from_provider)], and the provider's title."""
    chosen: list[tuple[Article, bool]] = []
    title = None
    for source in (provider, fallback):
        if len(chosen) >= limit or source is None:
            continue
        try:
            items, source_title = _ask(
                source, request=request, article=article, exclude=taken, limit=limit
            )
        except Exception:
            # A broken engine must not take the article page down with it.
            log.exception("%s provider failed; using the fallback", key)
            continue
        if source is provider:
            title = source_title
        for item in items:
            if item.pk in taken or len(chosen) >= limit:
                continue
            taken.add(item.pk)
            chosen.append((item, source is provider))
    return chosen, title


class _Groups:
    """Duplicate groups of the articles on one page, from
    NEWSDESK_DUPLICATE_GROUPS: a callable mapping article ids to group keys
    (ids without a group are left out)."""

    def __init__(self):
        path = settings.NEWSDESK_DUPLICATE_GROUPS
        self._lookup = import_string(path) if path else None
        self.of: dict = {}

    def learn(self, ids) -> None:
        ids = [i for i in ids if i not in self.of]
        if self._lookup is not None and ids:
            self.of.update(self._lookup(ids))


def page_blocks(
    *,
    request,
    article: Article | None,
    exclude: set[int] = frozenset(),
    keys: tuple[str, ...] = ("related", "most-read", "recommended"),
) -> list[Block]:
    """The page's blocks, in three steps: every block's candidates (each
    excluding the articles the page shows already), one lookup of their
    duplicate groups, then each block without a second copy of a report on
    the page (topped up from its fallback in the rare case one was dropped)."""
    limit = settings.NEWSDESK_BLOCK_SIZE
    taken = set(exclude)
    if article is not None:
        taken.add(article.pk)
    plan = []
    for key, title, setting_name, builtin in BLOCKS:
        if key not in keys:
            continue
        provider = get_provider(setting_name, builtin)
        fallback = builtin if provider is not builtin else None
        chosen, provider_title = _candidates(
            key, provider, fallback, request=request, article=article,
            taken=taken, limit=limit,
        )  # fmt: skip
        plan.append((key, title, provider, fallback, chosen, provider_title))
    groups = _Groups()
    groups.learn(
        ([article.pk] if article is not None else [])
        + [a.pk for *_, chosen, _ in plan for a, _ in chosen]
    )
    seen = (
        {groups.of[article.pk]}
        if article is not None and article.pk in groups.of
        else set()
    )
    blocks = []
    for key, title, provider, fallback, chosen, provider_title in plan:
        kept: list[tuple[Article, bool]] = []
        for item, from_provider in chosen:
            group = groups.of.get(item.pk)
            if group is not None and group in seen:
                continue
            if group is not None:
                seen.add(group)
            kept.append((item, from_provider))
        if len(kept) < len(chosen) and fallback is not None:
            kept += _top_up(key, fallback, request, article, taken, limit - len(kept),
                            groups, seen)  # fmt: skip
        articles = [a for a, _ in kept]
        from_provider = any(p for _, p in kept)
        if from_provider or fallback is None:
            shown_title = provider_title or getattr(provider, "title", title)
        else:
            shown_title = getattr(fallback, "title", title)
        blocks.append(Block(key=key, title=shown_title, articles=articles))
    return blocks


def _top_up(key, fallback, request, article, taken, missing, groups, seen):
    """Replacements for duplicates dropped from a block (rare: two queries)."""
    more, _ = _candidates(
        key, None, fallback, request=request, article=article, taken=taken,
        limit=missing,
    )  # fmt: skip
    groups.learn([a.pk for a, _ in more])
    out = []
    for item, _ in more:
        group = groups.of.get(item.pk)
        if group is not None and group in seen:
            continue
        if group is not None:
            seen.add(group)
        out.append((item, False))
    return out

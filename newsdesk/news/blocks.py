"""The list blocks of a page (Related, Most read, Recommended) and their providers.

Blocks are registered by the apps that own them (news.extensions.register_block,
from their AppConfig.ready()). A provider is any callable
    provider(*, request, article, exclude: set[int], limit: int) -> list[Article]
returning live articles; it may set `block_note` on an article ("Because you
read ...") and may carry a `title` attribute for the block. A setting may name
another provider (news.extensions). The built-in lists below are honest simple
lists and stay the fallback of any smarter provider.
Whatever a provider returns, `page_blocks` enforces the contract: no current
article, no article twice in a list, no article in two blocks of one page,
(when a duplicate-group lookup is registered) no second copy of one report,
and a list is never topped up from another source under its title: a block
shows its provider's list, or only when that is empty its fallback's list
under the fallback's own title ("Latest", "More in this section").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from newsdesk.news import extensions
from newsdesk.news.models import Article
from newsdesk.news.selectors import forget_shared, list_articles, shared

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


# The same for every page: asked once per process every few seconds. They
# show on the home page too, which already shows the newest few dozen stories
# (lead, top stories, section fronts, briefs): with 60 spares the shared copy
# still has 5 the page does not show, where 20 sent every home page to the
# database for lists of its own.
newest_site_wide.shared_list = 60
more_news.shared_list = 60

# A block filled only by its fallback says what it really shows.
newest_in_category.title = "More in this section"
newest_site_wide.title = "Latest"
more_news.title = "More news"


ROUNDS = 3  # asks of one source per list when duplicates of shown reports are dropped


# Lists that are the same on every page (a provider with `shared_list` set
# gives the same articles whatever the page, apart from what the page already
# shows) are asked once per NEWSDESK_SHARED_BLOCK_SECONDS per process, and each
# page drops what it already shows. `shared_list = N` asks for N more than a
# block shows, as spares; `True` for exactly as many (for providers whose
# choice depends on the count, like Most read's window).
def forget_shared_lists(**kwargs) -> None:
    """Articles changed: ask the shared lists' providers again."""
    forget_shared()


def _ask(source, *, request, article, exclude, limit):
    """(articles, title) from `source`, from the shared copy when it may."""
    shared_list = getattr(source, "shared_list", False)
    if shared_list is False:
        items = source(request=request, article=article, exclude=exclude, limit=limit)
        return items, getattr(source, "title", None)
    want = limit + (0 if shared_list is True else int(shared_list))

    def ask():
        items = source(request=None, article=None, exclude=frozenset(), limit=want)
        return items, getattr(source, "title", None)

    items, title = shared(("block", source, want), ask)
    current = article.pk if article is not None else None
    kept = [a for a in items if a.pk not in exclude and a.pk != current]
    if len(kept) < limit and len(items) >= want:
        # The page excludes more than the shared copy has spare: ask directly.
        items = source(request=request, article=article, exclude=exclude, limit=limit)
        return items, getattr(source, "title", None)
    return kept[:limit], title


def _candidates(key, source, *, request, article, taken, limit):
    """Up to `limit` articles not in `taken` from `source` (added to `taken`),
    and the title the source gives; ([], None) if it fails."""
    try:
        items, title = _ask(
            source, request=request, article=article, exclude=taken, limit=limit
        )
    except Exception:
        # A broken engine must not take the article page down with it.
        log.exception("%s provider failed; using the fallback", key)
        return [], None
    chosen: list[Article] = []
    for item in items:
        if item.pk in taken or len(chosen) >= limit:
            continue
        taken.add(item.pk)
        chosen.append(item)
    return chosen, title


class _Groups:
    """Duplicate groups of the articles on one page, from the registered
    lookup (news.extensions.get_duplicate_groups): a callable mapping article
    ids to group keys (ids without a group are left out)."""

    def __init__(self):
        self._lookup = extensions.get_duplicate_groups()
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
    page: str = "article",
    keys: tuple[str, ...] | None = None,
) -> list[Block]:
    """The page's blocks, in three steps: every block's candidates (each
    excluding the articles the page shows already), one lookup of their
    duplicate groups, then each block without a second copy of a report on
    the page (the same source asked again in the rare case one was dropped)."""
    limit = settings.NEWSDESK_BLOCK_SIZE
    taken = set(exclude)
    if article is not None:
        taken.add(article.pk)
    plan = []
    for ext in extensions.extensions(page=page):
        if not ext.is_block or (keys is not None and ext.key not in keys):
            continue
        key, title, builtin = ext.key, ext.title, ext.fallback
        provider = ext.get_provider()
        fallback = builtin if provider is not builtin else None
        # A block shows its provider's list or, when that is empty, its
        # fallback's: never a mix, so "Most read" or "Related" holds nothing else.
        source, chosen, source_title = provider, [], None
        for candidate in (provider, fallback):
            if candidate is None:
                continue
            chosen, source_title = _candidates(
                key, candidate, request=request, article=article, taken=taken,
                limit=limit,
            )  # fmt: skip
            source = candidate
            if chosen:
                break
        plan.append((key, title, source, chosen, source_title))
    groups = _Groups()
    groups.learn(
        ([article.pk] if article is not None else [])
        + [a.pk for *_, chosen, _ in plan for a in chosen]
    )
    seen = (
        {groups.of[article.pk]}
        if article is not None and article.pk in groups.of
        else set()
    )
    blocks = []
    for key, title, source, chosen, source_title in plan:
        kept = _distinct(chosen, groups, seen)
        for _ in range(ROUNDS - 1):
            if len(kept) >= limit or len(kept) == len(chosen):
                break
            # Second copies of reports on the page were dropped: ask the same
            # source again (rare: a bounded number of queries).
            chosen, _ = _candidates(
                key, source, request=request, article=article, taken=taken,
                limit=limit - len(kept),
            )  # fmt: skip
            groups.learn([a.pk for a in chosen])
            more = _distinct(chosen, groups, seen)
            kept += more
        shown_title = source_title or getattr(source, "title", None) or title
        blocks.append(
            Block(
                key=key,
                title=shown_title,
                articles=kept,
            )
        )
    return blocks


def _distinct(items, groups, seen) -> list[Article]:
    """`items` without second copies of a report already on the page."""
    out = []
    for item in items:
        group = groups.of.get(item.pk)
        if group is not None and group in seen:
            continue
        if group is not None:
            seen.add(group)
        out.append(item)
    return out

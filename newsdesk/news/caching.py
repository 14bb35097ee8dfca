"""HTTP caching of public pages: their Cache-Control and their purge tags.

A public page is the same bytes for every reader, so any cache may keep it:
the browser, a CDN or reverse proxy, and newsdesk's own page cache
(newsdesk.cache). Each such response names what it shows in `X-Cache-Tags`
(",a12,c3,latest,"): when an article changes, newsdesk.cache purges every
page tagged with it, here and in the proxies (BAN by tag).

Tags:
- `a<id>`   the article's own page and every page listing it (lists, blocks);
- `p<id>`   the article's own page only: what only it shows (its Related list);
- `c<id>`   a section's pages and feeds (new articles of the section, any depth);
- `t<id>`   a topic's pages and feeds;
- `latest`  pages that list every section: home, the main feeds, sitemaps, API lists;
- other apps' own tags (discovery: `s<id>` a story's pages, `stories` its sitemap),
  purged through news.signals.pages_changed;
- the page kind (`home`, `section`, `article`, `tag`, `feed`, `sitemap`, `api`)
  so that an operator can purge one kind by hand.

News imports no other app: this module only writes headers; the page cache
and purge backends read them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from contextvars import ContextVar

from django.conf import settings
from django.utils.cache import patch_cache_control

TAGS_HEADER = "X-Cache-Tags"
LATEST = "latest"


def article_tag(pk: int) -> str:
    return f"a{pk}"


def category_tag(pk: int) -> str:
    return f"c{pk}"


def tag_tag(pk: int) -> str:
    return f"t{pk}"


def page_tag(pk: int) -> str:
    return f"p{pk}"


def article_tags(articles: Iterable) -> list[str]:
    return [article_tag(a.pk) for a in articles]


def add_tags(response, tags: Iterable[str]) -> None:
    """Add purge tags to a cacheable response (duplicates dropped, order kept)."""
    current = [t for t in response.get(TAGS_HEADER, "").split(",") if t]
    seen = set(current)
    for tag in tags:
        if tag and tag not in seen:
            seen.add(tag)
            current.append(tag)
    response[TAGS_HEADER] = "," + ",".join(current) + ","


def response_tags(response) -> frozenset[str]:
    return frozenset(t for t in response.get(TAGS_HEADER, "").split(",") if t)


def patch_public(response, *, max_age: int | None = None) -> None:
    """Cache-Control of a public page: fresh for `max_age` seconds (default
    NEWSDESK_PAGE_MAX_AGE), then served stale while one request revalidates,
    and for a long while if the site is down."""
    patch_cache_control(
        response,
        public=True,
        max_age=settings.NEWSDESK_PAGE_MAX_AGE if max_age is None else max_age,
        stale_while_revalidate=settings.NEWSDESK_PAGE_STALE_WHILE_REVALIDATE,
        stale_if_error=settings.NEWSDESK_PAGE_STALE_IF_ERROR,
    )


def public_page(kind: str, *, max_age: int | None = None):
    """View decorator: a public, shared-cacheable page of `kind`.

    The view adds what it shows with `add_tags`; this adds the kind tag and
    the Cache-Control. Error responses a view returns itself (a 400, the API's
    JSON 404) are left uncached by the page cache, which keeps only 200s.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            patch_public(response, max_age=max_age)
            add_tags(response, [kind])
            return response

        return wrapped

    return decorator


# --- how old the data of a page is ------------------------------------------------
# A page rendered from a list a process remembered (news.selectors.shared) is as
# old as that list: the page cache dates the page from it, so a purge made
# after the list was read (in another process) still kills the page.
_data_time: ContextVar[float | None] = ContextVar("page_data_time", default=None)
# Default-cache key holding the time articles last changed (any process).
CHANGE_CLOCK_KEY = "news:articles-changed"


def start_page(started: float):
    """Begin dating a page rendered from `started` on; returns a token."""
    return _data_time.set(started)


def end_page(token) -> float:
    """The oldest data the page used (at most its start), ending the dating."""
    value = _data_time.get()
    _data_time.reset(token)
    return value if value is not None else time.time()


def note_data_time(wall: float) -> None:
    current = _data_time.get()
    if current is not None and wall < current:
        _data_time.set(wall)


def articles_changed(**kwargs) -> None:
    """article_changed: tell every process (the clock) that lists may be stale."""
    from django.core.cache import cache

    cache.set(CHANGE_CLOCK_KEY, time.time(), None)

"""Writes of engagement: views (through the counter) and reactions.

`check_*` functions take an untrusted request, decide, then call the `do_*`
function that writes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from newsdesk.engagement import readers
from newsdesk.engagement.counters import Hit, get_counter, valid_id
from newsdesk.engagement.counters.store import now_ts
from newsdesk.engagement.models import Reaction
from newsdesk.engagement.selectors import reaction_kinds
from newsdesk.engagement.signals import view_recorded
from newsdesk.news.models import Article

PREFETCH_VALUES = ("prefetch", "prerender", "preview")


@functools.cache
def _crawler_detect():
    from crawlerdetect import CrawlerDetect

    return CrawlerDetect()


def is_crawler(user_agent: str) -> bool:
    # Only the boolean of a shared instance is used: its match list is not thread-safe.
    return _crawler_detect().is_crawler(user_agent)


def skip_reason(request) -> str | None:
    """Why `request` is not a reader's view, or None when it is one."""
    if request.method not in ("GET", "POST"):
        return "method"
    meta = request.META
    purpose = (
        meta.get("HTTP_SEC_PURPOSE", "")
        + meta.get("HTTP_PURPOSE", "")
        + meta.get("HTTP_X_PURPOSE", "")
        + meta.get("HTTP_X_MOZ", "")
    ).lower()
    if any(word in purpose for word in PREFETCH_VALUES):
        return "prefetch"
    ua = meta.get("HTTP_USER_AGENT", "")
    if not ua.strip():
        return "no user agent"
    if is_crawler(ua):
        return "crawler"
    if "/preview/" in meta.get("HTTP_REFERER", ""):
        return "preview"
    if (
        not settings.NEWSDESK_COUNT_STAFF
        and settings.SESSION_COOKIE_NAME in request.COOKIES
    ):
        user = getattr(request, "user", None)
        if user is not None and user.is_active and user.is_staff:
            return "staff"
    return None


def check_view(request, article_id: int) -> readers.Reader | None:
    """Record a view of `article_id` by the reader of `request` if it is one.

    Returns the reader (so the response can set a new cookie), or None when
    the request does not count. Existence and liveness of the article are
    checked when the counter writes, not here, to keep the beacon cheap; an id
    that cannot be an article's never reaches the counter.
    """
    if not valid_id(article_id) or skip_reason(request) is not None:
        return None
    reader = readers.get_reader(request)
    ip = readers.address_key(request) if settings.NEWSDESK_VIEW_IP_CAP else None
    hit = do_record_view(article_id=article_id, reader=reader, ip=ip)
    if view_recorded.has_listeners():
        view_recorded.send(sender=Hit, request=request, hit=hit)
    return reader


def do_record_view(
    *, article_id: int, reader: readers.Reader, ip: int | None = None
) -> Hit:
    """Hand a view to the counter; `ip` (readers.address_key) for the cap."""
    hit = Hit(
        article_id=article_id,
        reader=reader.key,
        at=now_ts(),
        alias=reader.cookie_key,
        ip=ip,
    )
    get_counter().record(hit)
    return hit


@dataclass(frozen=True)
class ReactionResult:
    ok: bool
    mine: str | None = None
    error: str = ""
    status: int = 200
    reader: readers.Reader | None = None


def _over_limit(key: str, limit: int) -> bool:
    minute = int(timezone.now().timestamp()) // 60
    full = f"engagement:rl:{key}:{minute}"
    if cache.add(full, 1, timeout=90):
        return False
    try:
        return cache.incr(full) > limit
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=90)
        return False


def check_reaction(request, article: Article, kind: str) -> ReactionResult:
    """Validate a reader's reaction to `article` and toggle it.

    `kind` equal to the reader's current reaction removes it; another kind
    replaces it. Rate limits apply per reader and per client address.
    """
    if kind not in {k.key for k in reaction_kinds()}:
        return ReactionResult(ok=False, error="Unknown reaction.", status=400)
    if not article.is_live():
        return ReactionResult(ok=False, error="No such article.", status=404)
    reader = readers.get_reader(request)
    if reader.new_cookie:
        # A reaction belongs to a cookie, never to an IP + UA hash: a hash
        # would change daily and differ from the cookie the reader gets now.
        # Browsers have the cookie from the page's beacon before they click.
        return ReactionResult(
            ok=False,
            error="Reactions need cookies: please try again.",
            status=400,
            reader=reader,
        )
    if _over_limit(f"r{reader.key}", settings.NEWSDESK_REACTION_RATE_READER) or (
        _over_limit(f"ip{readers.ip_key(request)}", settings.NEWSDESK_REACTION_RATE_IP)
    ):
        return ReactionResult(
            ok=False, error="Too many reactions; try again in a minute.", status=429
        )
    mine = do_toggle_reaction(article=article, reader=reader.key, kind=kind)
    return ReactionResult(ok=True, mine=mine, reader=reader)


@transaction.atomic
def do_toggle_reaction(*, article: Article, reader: int, kind: str) -> str | None:
    """Set, change or (same kind again) remove a reaction; returns the reader's now."""
    current = (
        Reaction.objects.select_for_update()
        .filter(article=article, reader=reader)
        .values_list("kind", flat=True)
        .first()
    )
    if current == kind:
        Reaction.objects.filter(article=article, reader=reader).delete()
        return None
    do_set_reaction(article=article, reader=reader, kind=kind)
    return kind


def do_set_reaction(*, article: Article, reader: int, kind: str) -> None:
    # An upsert on the unique (article, reader): two concurrent first votes of
    # one reader end as one row, never two.
    Reaction.objects.bulk_create(
        [Reaction(article=article, reader=reader, kind=kind)],
        update_conflicts=True,
        unique_fields=["article", "reader"],
        update_fields=["kind", "updated_at"],
    )


def do_remove_reaction(*, article: Article, reader: int) -> None:
    Reaction.objects.filter(article=article, reader=reader).delete()

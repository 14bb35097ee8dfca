"""Engagement endpoints. Views parse requests and call actions or selectors."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from newsdesk.engagement import actions, readers, selectors
from newsdesk.engagement import beacon as beacon_response
from newsdesk.engagement.counters import valid_id
from newsdesk.news.selectors import get_article, get_category_by_path

REACTED_COOKIE = "newsdesk_reacted"  # tells the script of a cached page to fetch state


# No CSRF token: the beacon must work from cached pages, and it can only add
# one view per reader per window, which a cross-site page gains nothing from.
# Most beacons are answered by middleware.BeaconMiddleware before reaching here.
@csrf_exempt
@require_POST
def beacon(request, pk: int):
    return beacon_response.respond(request, pk, pixel=False)


@require_http_methods(["GET", "HEAD"])
def pixel(request, pk: int):
    """The no-JavaScript beacon (an <img> in <noscript>); HEAD is never counted."""
    return beacon_response.respond(request, pk, pixel=True)


def _article(pk: int):
    # <int:pk> matches any run of digits; beyond 64 bits the query would raise.
    if not valid_id(pk):
        raise Http404("No such article")
    return get_article(pk)


def _state(request, article) -> dict:
    reader = readers.cookie_reader_key(request)
    counts = selectors.reaction_counts(article.pk, reader=reader)
    return {
        "views": selectors.view_count(article.pk),
        "counts": {c.kind.key: c.count for c in counts},
        "mine": next((c.kind.key for c in counts if c.mine), None),
    }


@never_cache
@require_safe
def state(request, pk: int):
    """Fresh counts and the reader's own reaction, for cached pages."""
    article = _article(pk)
    if not article.is_live():
        raise Http404("No such article")
    response = JsonResponse(_state(request, article))
    # The script asks for state before a first reaction: the reader cookie too.
    readers.set_reader_cookie(response, readers.get_reader(request))
    return response


def same_origin(request) -> bool:
    """Whether an unsafe request was sent by this site's own pages.

    The reactions endpoint's defence against cross-site requests: the pages
    that post to it are shared by every reader (and by caches), so they carry
    no per-reader CSRF token. Browsers send `Origin` with every POST (a form
    or fetch); without it a same-origin `Referer` is accepted, without either
    the request is refused. The reader cookie is SameSite=Lax, so a cross-site
    form would arrive without it anyway; rate limits bound the rest.
    """
    allowed = {
        f"{request.scheme}://{request.get_host()}",
        *settings.CSRF_TRUSTED_ORIGINS,
    }
    origin = request.headers.get("Origin")
    if origin is None:
        referer = urlsplit(request.headers.get("Referer", ""))
        if not referer.scheme or not referer.netloc:
            return False
        origin = f"{referer.scheme}://{referer.netloc}"
    return origin in allowed


# Exempt from Django's token check: same_origin() is the check (cached pages
# cannot carry a token; see docs/engagement.md).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def react(request, pk: int):
    """POST toggles a reaction: JSON for the script, else a redirect (PRG) to
    GET, the reader's own reactions page for the article (not cached)."""
    article = _article(pk)
    if request.method != "POST":
        return _reactions_page(request, article)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not same_origin(request):
        error = "Reactions are accepted from this site's own pages only."
        if wants_json:
            return JsonResponse({"error": error}, status=403)
        return HttpResponse(error, status=403, content_type="text/plain; charset=utf-8")
    result = actions.check_reaction(request, article, request.POST.get("kind", ""))
    if wants_json:
        body = _state(request, article) if result.ok else {"error": result.error}
        response = JsonResponse(body, status=result.status)
    elif result.ok:
        response = HttpResponseRedirect(
            reverse("engagement:react", args=[article.pk])
            + ("?done=saved" if result.mine else "?done=removed")
        )
        response.status_code = 303
    else:
        response = HttpResponse(
            result.error, status=result.status, content_type="text/plain; charset=utf-8"
        )
    if result.reader is not None:
        readers.set_reader_cookie(response, result.reader)
    if result.ok:
        response.set_cookie(
            REACTED_COOKIE, "1", max_age=readers.COOKIE_MAX_AGE, samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )  # fmt: skip
    return response


def _reactions_page(request, article):
    """The reactions form with this reader's own choice marked and fresh counts:
    where the form lands without JavaScript."""
    if not article.is_live():
        raise Http404("No such article")
    reader = readers.cookie_reader_key(request)
    done = request.GET.get("done", "")
    return render(
        request,
        "engagement/reactions.html",
        {
            "article": article,
            "reactions": selectors.reaction_counts(article.pk, reader=reader),
            "engagement": {
                "counting": False,
                "react": reverse("engagement:react", args=[article.pk]),
                "state": reverse("engagement:state", args=[article.pk]),
                "css": static("engagement/engagement.css"),
            },
            "done": done if done in ("saved", "removed") else "",
        },
    )


@require_safe
@cache_control(public=True, max_age=60)
def most_read(request):
    window = request.GET.get("window", "24h")
    order = request.GET.get("order", "views")
    if window not in selectors.WINDOWS or order not in selectors.ORDERS:
        raise Http404("No such list")
    section = request.GET.get("section", "").strip("/")
    category = get_category_by_path(section) if section else None
    articles = selectors.most_read(
        window=window, order=order, category=category, limit=settings.NEWSDESK_PAGE_SIZE
    )
    return render(
        request,
        "engagement/most_read.html",
        {
            "articles": articles,
            "window": window,
            "order": order,
            "category": category,
            "windows": selectors.WINDOW_LABELS,
            "window_label": selectors.WINDOW_LABELS[window],
        },
    )

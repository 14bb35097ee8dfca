"""Personal recommendations over HTTP: the fragment for cached pages, and the
reader's own page (history, clear, personalisation on/off).

Nothing here is ever cached by a shared cache: every response is
`private, no-store` and varies on the cookie.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from newsdesk.discovery.recommend import actions as recommend_actions
from newsdesk.discovery.recommend import selectors as recommend_selectors

MAX_EXCLUDE = 100  # ids of the page's other blocks; a page shows far fewer


def _private(response):
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ["Cookie"])
    return response


def _ids(raw: str, *, limit: int) -> list[int] | None:
    """Comma-separated positive ids; None when malformed or too many."""
    if not raw:
        return []
    parts = raw.split(",")
    if len(parts) > limit or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    ids = [int(p) for p in parts]
    return ids if all(0 < i < 2**63 for i in ids) else None


@require_safe
def recommended(request):
    """The personal `<ol>` of the recommended block, as an HTML fragment.

    GET ?article=ID (the page's article, optional) &exclude=ID,ID (articles
    the page's other blocks show). 204 when the page's list should stay: no
    reader cookie, personalisation off, or nothing read yet. The list never
    holds an article the reader read; it may be empty (everything read).
    """
    current = _ids(request.GET.get("article", ""), limit=1)
    exclude = _ids(request.GET.get("exclude", ""), limit=MAX_EXCLUDE)
    if current is None or exclude is None:
        return _private(HttpResponseBadRequest("article and exclude take ids"))
    reader = recommend_selectors.reader_key(request)
    found = None
    if (
        reader is not None
        and recommend_selectors.request_personalisation(request).enabled
    ):
        found = recommend_selectors.personal_articles(
            reader=reader,
            current=current[0] if current else None,
            exclude=set(exclude),
            limit=settings.NEWSDESK_BLOCK_SIZE,
        )
    if found is None:
        return _private(HttpResponse(status=204))
    context = {"articles": found.articles, "title": found.title}
    return _private(render(request, "discovery/_recommended.html", context))


@require_safe
def reader_page(request):
    """What the site knows about the reader's reading, and their choices."""
    reader = recommend_selectors.reader_key(request)
    history = (
        recommend_selectors.history_page(reader, now=timezone.now())
        if reader is not None
        else []
    )
    context = {
        "history": history,
        "personalisation": recommend_selectors.request_personalisation(request),
        "days": settings.NEWSDESK_READING_HISTORY_DAYS,
        "size": settings.NEWSDESK_READING_HISTORY_SIZE,
        "done": request.GET.get("done", ""),
    }
    return _private(render(request, "discovery/reader.html", context))


def _back(done: str):
    return HttpResponseRedirect(reverse("discovery:reader") + f"?done={done}")


@require_POST
def clear_history(request):
    reader = recommend_selectors.reader_key(request)
    if reader is not None:
        recommend_actions.do_clear_history(reader=reader)
    return _private(_back("cleared"))


@require_POST
def set_personalisation(request):
    value = request.POST.get("personalise", "")
    response = _back(value)
    reader = recommend_selectors.reader_key(request)
    if not recommend_actions.check_set_personalisation(
        response, reader=reader, value=value
    ):
        return _private(HttpResponseBadRequest("personalise is on or off"))
    return _private(response)

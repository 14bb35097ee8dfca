"""Story pages: /story/<id>/<slug>/ (every report of one event, newest first)."""

from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.discovery.models import Story
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.discovery.stories import selectors as story_selectors

# Path ids beyond this cannot be a row id on any supported database.
MAX_ID = 2**63 - 1


@require_safe
@cache_control(public=True, max_age=60)
def story(request, pk: int, slug: str | None = None):
    if pk > MAX_ID:
        raise Http404("No such story")
    obj = get_object_or_404(Story, pk=pk)
    live = story_actions.resolve(obj)
    if live.pk != obj.pk or slug != live.slug:
        # A merged story redirects to the one that absorbed it; old slugs and
        # the bare id keep working.
        return HttpResponsePermanentRedirect(live.get_absolute_url())
    reports = story_selectors.timeline(live)
    if not reports:
        raise Http404("No such story")
    count = sum(1 + len(r.also) for r in reports)
    return render(
        request,
        "discovery/story.html",
        {"story": live, "reports": reports, "count": count},
    )

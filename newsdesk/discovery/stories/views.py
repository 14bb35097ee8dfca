"""Story pages: /story/<id>/<slug>/ (every report of one event, newest first),
and the story as a ninjs document at /api/stories/<id>/."""

from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from newsdesk.discovery.models import Story
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.discovery.stories import selectors as story_selectors
from newsdesk.news import api, caching, openapi
from newsdesk.news.ninjs import NinjsArticle, NinjsStory, to_ninjs_story

# Path ids beyond this cannot be a row id on any supported database.
MAX_ID = 2**63 - 1


def _tags(story: Story, reports) -> list[str]:
    shown = [a for r in reports for a in (r.article, *r.also)]
    return [story_selectors.story_tag(story.pk), *caching.article_tags(shown)]


@require_safe
@caching.public_page("story")
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
    response = render(
        request,
        "discovery/story.html",
        {"story": live, "reports": reports, "count": count},
    )
    caching.add_tags(response, _tags(live, reports))
    return response


@csrf_exempt  # read-only: unsafe methods get 405 from require_safe, not 403
@require_safe
@caching.public_page("api")
def story_api(request, pk: str):
    """The story as a ninjs 3.0 composite whose associations are its reports
    (newest first, at most STORY_PAGE_LIMIT, copies of one report included)."""
    if not pk.isdigit() or not 0 < int(pk) <= MAX_ID:
        return api.error_response(request, 404, "no such story")
    obj = Story.objects.filter(pk=int(pk)).first()
    if obj is None:
        return api.error_response(request, 404, "no such story")
    live = story_actions.resolve(obj)
    if live.pk != obj.pk:
        return HttpResponsePermanentRedirect(
            reverse("discovery:story-api", kwargs={"pk": live.pk})
        )
    reports = story_selectors.timeline(live)
    if not reports:
        return api.error_response(request, 404, "no such story")
    site = api.site_of(request)
    members = sorted(
        (a for r in reports for a in (r.article, *r.also)),
        key=lambda a: (a.published_at, a.pk),
        reverse=True,
    )
    doc = to_ninjs_story(
        NinjsStory(
            uri=site + reverse("discovery:story-api", kwargs={"pk": live.pk}),
            url=site + live.get_absolute_url(),
            headline=live.title,
            first=live.first_published_at,
            modified=live.updated_at,
            version=str(int(live.updated_at.timestamp())),
            reports=tuple(
                NinjsArticle(
                    uri=site + reverse("syndication:api-item", kwargs={"pk": a.pk}),
                    url=site + a.get_absolute_url(),
                    headline=a.headline,
                    published=a.published_at,
                    source_name=a.source.name if a.source_id else "",
                )
                for a in members
            ),
        )
    )
    response = api.json_response(request, doc)
    caching.add_tags(response, _tags(live, reports))
    return response


def story_api_paths() -> tuple[dict, dict]:
    """/api/stories/{id}/ in the API's OpenAPI document (news.openapi)."""
    path = openapi.get_by_id(
        operation_id="getStory",
        summary="One story: every report of one event, newest first",
        description="The story; its reports are associations.",
        schema="NinjsStory",
        responses={
            "301": {
                "description": "A merged story: the one that absorbed it.",
                "headers": {
                    "Location": {"schema": {"type": "string"}, "required": True}
                },
            }
        },
    )
    item = openapi.NINJS_ITEM
    schema = {
        **item,
        "description": (
            "An IPTC ninjs 3.0 composite; its associations (rel report) are the "
            "story's items, each with the uri of its /api/items/{id}/ document."
        ),
        "properties": {
            **item["properties"],
            "type": {"type": "string", "enum": ["composite"]},
        },
    }
    return {"/api/stories/{id}/": path}, {"NinjsStory": schema}

"""A feed per story (RSS 2.0 and Atom 1.0): its newest reports, like the site's
other feeds (news.feeds), at /feeds/story/<id>/rss.xml and atom.xml."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse

from newsdesk.discovery.models import Story
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.discovery.stories import selectors as story_selectors
from newsdesk.news import feeds

MAX_ID = 2**63 - 1


class StoryFeed(feeds.LatestFeed):
    def __call__(self, request, pk: int):
        if pk > MAX_ID:
            raise Http404("No such story")
        story = Story.objects.filter(pk=pk).first()
        if story is None:
            raise Http404("No such story")
        live = story_actions.resolve(story)
        if live.pk != story.pk:
            # A merged story's feed moves with its page (301): feed readers
            # update their subscription.
            return HttpResponsePermanentRedirect(self.feed_url(live))
        if not live.size:
            raise Http404("No such story")
        request.story = live
        return super().__call__(request, pk=pk)

    def get_object(self, request, pk):
        return request.story

    def title(self, obj: Story):
        return f"{obj.title} - full coverage - {settings.NEWSDESK_SITE_NAME}"

    def description(self, obj: Story):
        return f"Every report of this story: {obj.title}"

    def link(self, obj: Story):
        return obj.get_absolute_url()

    def feed_url(self, obj: Story):
        return reverse(f"discovery:story-{self.kind}", kwargs={"pk": obj.pk})

    def articles(self, obj: Story):
        return story_selectors.live_members(obj).order_by("-published_at", "-pk")

    def cache_tags(self, obj: Story) -> list[str]:
        return [story_selectors.story_tag(obj.pk)]


class StoryAtomFeed(StoryFeed):
    feed_type = feeds.LatestAtomFeed.feed_type
    kind = "atom"

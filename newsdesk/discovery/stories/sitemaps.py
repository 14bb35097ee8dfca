"""Stories in the sitemap index (NEWSDESK_SITEMAPS): /sitemap-stories.xml lists
every live story with more than one report, newest first, with the time of its
latest report as lastmod."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from newsdesk.discovery.models import Story
from newsdesk.discovery.stories import selectors as story_selectors


class StorySitemap(Sitemap):
    section = "stories"
    limit = 10000
    # Purged with any story change (story_actions.purge_story_pages).
    cache_tags = [story_selectors.STORIES_TAG]

    def items(self):
        return (
            Story.objects.filter(merged_into__isnull=True, size__gt=1)
            .only("pk", "title", "last_published_at", "updated_at")
            .order_by("-last_published_at", "-pk")
        )

    def lastmod(self, item: Story):
        return item.last_published_at or item.updated_at

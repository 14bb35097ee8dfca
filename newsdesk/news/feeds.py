"""RSS 2.0 and Atom 1.0 feeds of the site, a section and a tag (contrib.syndication)."""

from __future__ import annotations

import io
from functools import lru_cache

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.news import caching, selectors
from newsdesk.news.models import Article, Category, Tag


class _Rss(Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"


class LatestFeed(Feed):
    """The newest live articles; excerpts only (wire copy licences rarely allow
    redistributing the full text)."""

    feed_type = _Rss
    kind = "rss"

    def title(self, obj=None):
        return settings.NEWSDESK_SITE_NAME

    def description(self, obj=None):
        return settings.NEWSDESK_SITE_DESCRIPTION

    def subtitle(self, obj=None):
        return self.description(obj)

    def link(self, obj=None):
        return "/"

    def feed_url(self, obj=None):
        return reverse(f"syndication:{self.kind}")

    def articles(self, obj):
        return selectors.live_articles()

    def items(self, obj=None):
        return (
            self.articles(obj)
            .defer(None)  # descriptions come from the text
            .select_related("source")
            .prefetch_related("tags")[: settings.NEWSDESK_FEED_SIZE]
        )

    def item_title(self, item: Article):
        return item.headline

    def item_description(self, item: Article):
        text = item.standfirst or item.body_text
        return text if len(text) <= 600 else text[:600].rsplit(" ", 1)[0] + " …"

    def item_link(self, item: Article):
        return item.get_absolute_url()

    def item_guid(self, item: Article):
        return self._site + reverse("news:article-by-id", kwargs={"pk": item.pk})

    item_guid_is_permalink = True

    def item_author_name(self, item: Article):
        return item.byline or item.display_credit or None

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at or item.published_at

    def item_categories(self, item: Article):
        return [item.category.name, *(t.name for t in item.tags.all())]

    def item_copyright(self, item: Article):
        if item.source_id and item.source.licence:
            return f"{item.display_credit}, {item.source.licence}"
        return None

    def cache_tags(self, obj) -> list[str]:
        return [caching.LATEST]

    def get_feed(self, obj, request):
        self._site = f"{request.scheme}://{request.get_host()}"
        request.feed_cache_tags = self.cache_tags(obj)
        return super().get_feed(obj, request)

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        caching.patch_public(response)
        caching.add_tags(response, ["feed", *getattr(request, "feed_cache_tags", ())])
        return response


class LatestAtomFeed(LatestFeed):
    feed_type = Atom1Feed
    kind = "atom"


class CategoryFeed(LatestFeed):
    def get_object(self, request, path):
        return selectors.get_category_by_path(path)

    def title(self, obj: Category):
        return f"{obj.name} - {settings.NEWSDESK_SITE_NAME}"

    def description(self, obj: Category):
        return obj.description or f"The latest from {obj.name}"

    def link(self, obj: Category):
        return obj.get_absolute_url()

    def feed_url(self, obj: Category):
        return reverse(f"syndication:category-{self.kind}", kwargs={"path": obj.path})

    def articles(self, obj: Category):
        return selectors.category_articles(obj)

    def cache_tags(self, obj: Category) -> list[str]:
        return [caching.category_tag(obj.pk)]


class CategoryAtomFeed(CategoryFeed):
    feed_type = Atom1Feed
    kind = "atom"


class TagFeed(LatestFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, obj: Tag):
        return f"{obj.name} - {settings.NEWSDESK_SITE_NAME}"

    def description(self, obj: Tag):
        return f"The latest on {obj.name}"

    def link(self, obj: Tag):
        return obj.get_absolute_url()

    def feed_url(self, obj: Tag):
        return reverse(f"syndication:tag-{self.kind}", kwargs={"slug": obj.slug})

    def articles(self, obj: Tag):
        return selectors.tag_articles(obj)

    def cache_tags(self, obj: Tag) -> list[str]:
        return [caching.tag_tag(obj.pk)]


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    kind = "atom"


@lru_cache(maxsize=4)
def _logo_png(name: str) -> bytes:
    # Google asks for a publisher logo in structured data; without a designed one
    # the site name on a plain band (600x60, its recommended shape) stands in.
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (600, 60), "white")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=40)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    draw.text((10, 8), name, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@require_safe
@cache_control(public=True, max_age=86400)
def publisher_logo(request):
    if settings.NEWSDESK_PUBLISHER_LOGO_URL:
        return HttpResponseRedirect(settings.NEWSDESK_PUBLISHER_LOGO_URL)
    return HttpResponse(
        _logo_png(settings.NEWSDESK_SITE_NAME), content_type="image/png"
    )

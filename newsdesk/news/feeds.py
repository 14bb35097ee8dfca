"""RSS 2.0 and Atom 1.0 feeds of the site, a section and a tag (contrib.syndication)."""

from __future__ import annotations

import html
import io
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import (
    Atom1Feed,
    Enclosure,
    Rss201rev2Feed,
    SyndicationFeed,
)
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.news import caching, selectors
from newsdesk.news.images import LeadImage, lead_images
from newsdesk.news.models import Article, Category, Tag


class _PlainTextAsHtml:
    """Writes the site's plain-text fields (headlines, standfirsts, names) so that
    no feed reader decodes them into markup.

    Readers render an RSS title and description, and an Atom text construct of
    type "html", as HTML: plain text written as-is is decoded back into markup (a
    headline `<img src=x onerror=...>` ran in readers). Those fields are escaped
    as HTML exactly once, under the XML escaping, so that a reader shows the
    text. Names and categories are text by the specs but some readers render
    them as HTML anyway: there only "<", the one character that can start
    markup, is escaped, so that correct readers still show "A & B" as is.
    """

    FEED_HTML = ("title", "description", "subtitle")
    ITEM_HTML = ("title", "description")
    ITEM_TEXT = ("author_name", "categories")

    def __init__(self, *args, **kwargs):
        kwargs = _escaped(kwargs, self.FEED_HTML, _html)
        super().__init__(*args, **_escaped(kwargs, ("categories",), _lt))

    def add_item(self, *args, **kwargs):
        kwargs = _escaped(kwargs, self.ITEM_HTML, _html)
        super().add_item(*args, **_escaped(kwargs, self.ITEM_TEXT, _lt))


def _html(text: str) -> str:
    return html.escape(text, quote=False)


def _lt(text: str) -> str:
    return text.replace("<", "&lt;")


def _escaped(kwargs: dict, names: tuple[str, ...], escape) -> dict:
    out = dict(kwargs)
    for name in names:
        value = out.get(name)
        if isinstance(value, list | tuple):
            out[name] = [escape(str(v)) for v in value]
        elif value is not None:
            out[name] = escape(str(value))
    return out


MEDIA_NS = "http://search.yahoo.com/mrss/"


class _MediaRss:
    """Media RSS (media:content with its size, credit, alt text and licence)
    for an item's lead image, in RSS and Atom alike: the enclosure carries one
    file only, readers and aggregators take the rest from media:content."""

    def _media_namespace(self, attrs: dict) -> dict:
        return {**attrs, "xmlns:media": MEDIA_NS}

    def _add_media(self, handler, item) -> None:
        lead: LeadImage | None = item.get("lead_image")
        if lead is None:
            return
        for version in dict.fromkeys([lead.social, lead.largest]):
            attrs = {"url": version.url, "type": version.mime, "medium": "image"}
            if version.width and version.height:
                attrs |= {"width": str(version.width), "height": str(version.height)}
            if version is lead.social:
                attrs["isDefault"] = "true"
            handler.startElement("media:content", attrs)
            if lead.alt:
                handler.addQuickElement(
                    "media:description", _html(lead.alt), {"type": "html"}
                )
            if lead.credit:
                handler.addQuickElement(
                    "media:credit", lead.credit, {"role": "photographer"}
                )
            if lead.licence:
                licence = {"type": "text/html"}
                if lead.licence_url:
                    licence["href"] = lead.licence_url
                handler.addQuickElement("media:license", lead.licence, licence)
            handler.endElement("media:content")
        handler.addQuickElement("media:thumbnail", None, {"url": lead.social.url})


class _Rss(_MediaRss, _PlainTextAsHtml, Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"
    # RSS has no content types: readers guess, and most render an author as HTML.
    ITEM_HTML = ("title", "description", "author_name")
    ITEM_TEXT = ("categories",)

    def rss_attributes(self):
        return self._media_namespace(super().rss_attributes())

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        self._add_media(handler, item)


class _HtmlTyped:
    """An XML handler that marks the named elements type="html"."""

    def __init__(self, handler, names: set[str]) -> None:
        self._handler = handler
        self._names = names

    def addQuickElement(self, name, contents=None, attrs=None):  # noqa: N802 (Django's name)
        if name in self._names:
            attrs = {**(attrs or {}), "type": "html"}
        self._handler.addQuickElement(name, contents, attrs)

    def __getattr__(self, name):
        return getattr(self._handler, name)


class _Atom(_MediaRss, _PlainTextAsHtml, Atom1Feed):
    # Atom says what its text is: titles and subtitle are declared html like the
    # summary (Django's default), so every reader decodes them the same way.
    # Author names are Atom person constructs, text only, and stay as they are.
    def add_root_elements(self, handler):
        super().add_root_elements(_HtmlTyped(handler, {"title", "subtitle"}))

    def root_attributes(self):
        return self._media_namespace(super().root_attributes())

    def add_item_elements(self, handler, item):
        super().add_item_elements(_HtmlTyped(handler, {"title"}), item)
        self._add_media(handler, item)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class _JsonFeed(SyndicationFeed):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from the same items as
    RSS and Atom. Django has no JSON Feed generator; the format is a dict."""

    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile, encoding):
        feed = self.feed
        doc: dict = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed.get("language") or None,
            "items": [self._item(item) for item in self.items],
        }
        text = json.dumps(
            {k: v for k, v in doc.items() if v is not None},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        outfile.write(text)  # an HttpResponse or a StringIO: both take text

    @staticmethod
    def _item(item: dict) -> dict:
        out: dict = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "summary": item["description"],
            "content_text": item["description"],
            "date_published": _iso(item["pubdate"]),
            "date_modified": _iso(item["updateddate"]),
            "tags": list(item["categories"] or ()) or None,
        }
        if item.get("author_name"):
            out["authors"] = [{"name": item["author_name"]}]
        lead: LeadImage | None = item.get("lead_image")
        if lead is not None:
            out["image"] = lead.social.url
        return {k: v for k, v in out.items() if v is not None}


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
        articles = list(
            self.articles(obj)
            .defer(None)  # descriptions come from the text
            .select_related("source")
            .prefetch_related("tags")[: settings.NEWSDESK_FEED_SIZE]
        )
        images = lead_images(articles, site=self._site)
        for article in articles:
            article.syndicated_image = images.get(article.pk)
        return articles

    def item_enclosures(self, item: Article):
        lead = getattr(item, "syndicated_image", None)
        if lead is None:
            return []
        return [Enclosure(lead.social.url, str(lead.social.size), lead.social.mime)]

    def item_extra_kwargs(self, item: Article):
        return {"lead_image": getattr(item, "syndicated_image", None)}

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
    feed_type = _Atom
    kind = "atom"


class LatestJsonFeed(LatestFeed):
    feed_type = _JsonFeed
    kind = "json"


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
    feed_type = _Atom
    kind = "atom"


class CategoryJsonFeed(CategoryFeed):
    feed_type = _JsonFeed
    kind = "json"


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
    feed_type = _Atom
    kind = "atom"


class TagJsonFeed(TagFeed):
    feed_type = _JsonFeed
    kind = "json"


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

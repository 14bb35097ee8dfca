"""Sitemap index, article and section sitemaps (contrib.sitemaps) with the
image extension for lead images, and a Google News sitemap of the last 48 hours.

Django's sitemap framework has no news extension, so the news sitemap is written
with its XML generator; the index lists it like any other section.

Other apps add sections from their `ready()` with news.extensions.register_sitemap
(Sitemap classes with a `section` name and, optionally, their `cache_tags`), and
operators through NEWSDESK_SITEMAPS (dotted paths), so news imports none of them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from newsdesk.news import caching, extensions, selectors
from newsdesk.news.images import lead_images
from newsdesk.news.models import Category

NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000  # Google News sitemaps hold at most 1,000 URLs
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"


class ArticleSitemap(Sitemap):
    """Indexable live articles (republished copy marked noindex stays out)."""

    limit = 10000

    def items(self):
        return (
            selectors.live_articles()
            .filter(noindex=False)
            .select_related(None)
            .only(
                "pk", "slug", "published_at", "updated_at", "lead_image",
                "lead_image_width", "lead_image_height", "lead_image_alt",
                "lead_image_caption", "lead_image_credit", "lead_image_licence",
            )
            .order_by("-published_at", "-pk")
        )  # fmt: skip

    def _urls(self, page, protocol, domain):
        # The image extension (Google's; it reads <image:loc> only since 2022):
        # the lead image's largest version, one query for the page.
        urls = super()._urls(page, protocol, domain)
        images = lead_images([u["item"] for u in urls], site=f"{protocol}://{domain}")
        for url in urls:
            lead = images.get(url["item"].pk)
            url["images"] = [lead.largest.url] if lead else []
        return urls

    def lastmod(self, item):
        return item.updated_at or item.published_at


class CategorySitemap(Sitemap):
    def items(self):
        return Category.objects.order_by("path")


class NewsSitemap(Sitemap):
    """Listed in the index; rendered by `news_sitemap`, not by Django's view."""

    def items(self):
        return news_articles()

    def lastmod(self, item):
        return item.updated_at or item.published_at


SITEMAPS = {
    "articles": ArticleSitemap,
    "sections": CategorySitemap,
    "news": NewsSitemap,
}


def sitemaps() -> dict[str, type[Sitemap]]:
    """The built-in sections, then those apps registered (news.extensions) and
    those of NEWSDESK_SITEMAPS (by `section`)."""
    found: dict[str, type[Sitemap]] = dict(SITEMAPS)
    for cls in extensions.registered_sitemaps():
        found.setdefault(cls.section, cls)
    return found


def news_articles():
    since = timezone.now() - NEWS_WINDOW
    return (
        selectors.live_articles()
        .filter(noindex=False, published_at__gte=since)
        .order_by("-published_at", "-pk")[:NEWS_LIMIT]
    )


def news_sitemap_xml(articles, *, site: str, name: str, language: str) -> bytes:
    from io import StringIO

    out = StringIO()
    xml = SimplerXMLGenerator(out, "utf-8")
    xml.startDocument()
    xml.startElement("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for article in articles:
        xml.startElement("url", {})
        xml.addQuickElement("loc", site + article.get_absolute_url())
        xml.startElement("news:news", {})
        xml.startElement("news:publication", {})
        xml.addQuickElement("news:name", name)
        xml.addQuickElement("news:language", language)
        xml.endElement("news:publication")
        xml.addQuickElement(
            "news:publication_date",
            article.published_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        xml.addQuickElement("news:title", article.headline)
        xml.endElement("news:news")
        xml.endElement("url")
    xml.endElement("urlset")
    xml.endDocument()
    return out.getvalue().encode()


@require_safe
@caching.public_page("sitemap", max_age=300)
def index(request):
    sections = sitemaps()
    response = sitemap_views.index(
        request, sections, sitemap_url_name="syndication:sitemap-section"
    )
    caching.add_tags(response, [caching.LATEST])
    for cls in sections.values():
        caching.add_tags(response, getattr(cls, "cache_tags", ()))
    return response


@require_safe
@caching.public_page("sitemap", max_age=300)
def section(request, section: str):
    sections = sitemaps()
    if section not in sections:
        raise Http404("No such sitemap")
    if section == "news":
        body = news_sitemap_xml(
            news_articles(),
            site=f"{request.scheme}://{request.get_host()}",
            name=settings.NEWSDESK_SITE_NAME,
            language=settings.LANGUAGE_CODE.split("-")[0],
        )
        response = HttpResponse(body, content_type="application/xml")
    else:
        response = sitemap_views.sitemap(
            request,
            {section: sections[section]},
            section=section,
            template_name="news/sitemap.xml",
        )
    extra = getattr(sections[section], "cache_tags", None)
    if extra is not None:
        caching.add_tags(response, extra)
    elif section != "sections":
        caching.add_tags(response, [caching.LATEST])
    return response

"""Reader pages. Views only parse the request and call selectors; no rules here."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
)
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve as static_serve

from newsdesk.news import caching, extensions, selectors
from newsdesk.news.blocks import page_blocks
from newsdesk.news.models import Article, Tag
from newsdesk.news.search import RELEVANCE, SORTS, get_search_backend

MAX_QUERY_CHARS = 500


# ASCII digits only (int() also takes "+2", " 2", "2_0" and other scripts' digits),
# and few enough that any offset computed from them fits a 64-bit integer column.
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")


def _page_number(request) -> int:
    """The ?page= number; 404 for anything that is not a page number (never 500)."""
    raw = request.GET.get("page", "1")
    if not _PAGE_NUMBER.fullmatch(raw) or int(raw) < 1:
        raise Http404("No such page")
    return int(raw)


def _paginate(request, queryset):
    paginator = Paginator(queryset, settings.NEWSDESK_PAGE_SIZE)
    try:
        return paginator.page(_page_number(request))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page") from None


@require_safe
@caching.public_page("home")
def home(request):
    front = selectors.front_page()
    shown = front.shown
    blocks = page_blocks(request=request, article=None, exclude=shown, page="home")
    parts = extensions.page_parts(request, None, blocks, page="home")
    response = render(request, "news/home.html", {"front": front, "parts": parts})
    caching.add_tags(response, [caching.LATEST, *map(caching.article_tag, shown)])
    caching.add_tags(response, caching.article_tags(parts.articles))
    return response


@require_safe
@caching.public_page("section")
def category(request, path: str):
    cat = selectors.get_category_by_path(path)
    page = _paginate(request, selectors.category_articles(cat))
    response = render(
        request,
        "news/category.html",
        {
            "category": cat,
            "breadcrumb": selectors.breadcrumb(cat),
            "subcategories": selectors.subcategories(cat),
            "page": page,
        },
    )
    caching.add_tags(response, [caching.category_tag(cat.pk)])
    caching.add_tags(response, caching.article_tags(page.object_list))
    return response


@require_safe
@caching.public_page("tag")
def tag(request, slug: str):
    tag_obj = get_object_or_404(Tag, slug=slug)
    page = _paginate(request, selectors.tag_articles(tag_obj))
    response = render(request, "news/tag.html", {"tag": tag_obj, "page": page})
    caching.add_tags(response, [caching.tag_tag(tag_obj.pk)])
    caching.add_tags(response, caching.article_tags(page.object_list))
    return response


def _render_article(request, article: Article, *, preview: bool = False):
    blocks = page_blocks(request=request, article=article)
    # The slots' parts are rendered by the {% slot %} tag: each extension's
    # template with its own context (news.extensions).
    parts = extensions.page_parts(request, article, blocks)
    context = {
        "article": article,
        "breadcrumb": selectors.breadcrumb(article.category),
        "parts": parts,
        "preview": preview,
    }
    response = render(request, "news/article.html", context)
    caching.add_tags(
        response, [caching.article_tag(article.pk), caching.page_tag(article.pk)]
    )
    caching.add_tags(response, caching.article_tags(parts.articles))
    # Extras that show other rows (a story's size) name them as purge tags.
    caching.add_tags(response, parts.tags)
    return response


@require_safe
@caching.public_page("article")
def article(request, pk: int, slug: str | None = None):
    obj = selectors.get_article(pk)
    if obj.status == Article.Status.WITHDRAWN:
        response = render(request, "news/withdrawn.html", {"article": obj}, status=410)
        caching.add_tags(response, [caching.article_tag(obj.pk)])
        return response
    if not obj.is_live():
        raise Http404("No such article")
    if slug != obj.slug:
        # Old slugs (and the bare id) keep working: stable links survive edits.
        response = HttpResponsePermanentRedirect(obj.get_absolute_url())
        caching.add_tags(response, [caching.article_tag(obj.pk)])
        return response
    return _render_article(request, obj)


@require_safe
@cache_control(private=True, no_store=True)
def preview(request, pk: int):
    if not request.user.is_active or not request.user.has_perm("news.view_article"):
        raise Http404("No such article")
    obj = selectors.get_article(pk)
    return _render_article(request, obj, preview=True)


@require_safe
@cache_control(public=True, max_age=60)
def search(request):
    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY_CHARS:
        return HttpResponseBadRequest(
            f"Search queries are limited to {MAX_QUERY_CHARS} characters.",
            content_type="text/plain; charset=utf-8",
        )
    sort = request.GET.get("sort", RELEVANCE)
    if sort not in SORTS:
        return HttpResponseBadRequest(
            "sort is relevance or date.", content_type="text/plain; charset=utf-8"
        )
    number = _page_number(request)
    size = settings.NEWSDESK_PAGE_SIZE
    offset = (number - 1) * size
    if offset >= settings.NEWSDESK_SEARCH_MAX_RESULTS:
        raise Http404("No such page")  # beyond the result cap: no query at all
    result = get_search_backend().search(query, offset=offset, limit=size, sort=sort)
    pages = max(1, -(-result.ranked // size))
    if number > pages:
        raise Http404("No such page")
    latest = []
    if query and not result.total:
        latest = list(selectors.live_articles()[: settings.NEWSDESK_BLOCK_SIZE])
    return render(
        request,
        "news/search.html",
        {
            "query": query,
            "result": result,
            "sort": sort,
            "sort_urls": {
                s: "?"
                + urlencode({"q": query, **({"sort": s} if s != RELEVANCE else {})})
                for s in SORTS
            },
            "suggestion_url": "?" + urlencode({"q": result.suggestion}),
            "original_url": "?" + urlencode({"q": query, "sort": sort}),
            "latest": latest,
            "number": number,
            "start": offset + 1,
            "pages": pages,
            "has_previous": number > 1,
            "has_next": number < pages,
        },
    )


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search",
        "Disallow: /news/*/preview/",
    ]
    sitemap = getattr(settings, "NEWSDESK_SITEMAP_PATH", "/sitemap.xml")
    lines.append(f"Sitemap: {request.build_absolute_uri(sitemap)}")
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors: the database may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


@require_safe
def media(request, path: str):
    """Uploaded media on one machine (files in MEDIA_ROOT), when no other storage
    serves them: Django's static view (safe joins, conditional GETs) plus
    caching (rendition names change with their content) and a policy that keeps
    a hostile upload from running as a page of this site."""
    if not isinstance(default_storage, FileSystemStorage):
        raise Http404("Media is served by its storage backend")
    try:
        response = static_serve(request, path, document_root=default_storage.location)
    except SuspiciousFileOperation:
        raise Http404("No such file") from None  # ../ out of the media folder
    long_lived = path.startswith("renditions/")
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if long_lived else "public, max-age=3600"
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""Reader pages. Views only parse the request and call selectors; no rules here."""

from __future__ import annotations

from django.conf import settings
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
from django.utils.module_loading import import_string
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.news import caching, selectors
from newsdesk.news.blocks import page_blocks
from newsdesk.news.models import Article, Tag
from newsdesk.news.search import get_search_backend

MAX_QUERY_CHARS = 500
HOME_PER_SECTION = 4


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        raise Http404("Page numbers are whole numbers") from None
    if number < 1:
        raise Http404("Page numbers start at 1")
    return number


def _paginate(request, queryset):
    paginator = Paginator(queryset, settings.NEWSDESK_PAGE_SIZE)
    try:
        return paginator.page(_page_number(request))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page") from None


def article_extras(request, article) -> dict:
    """Context from the apps that decorate an article page (views, reactions...)."""
    context: dict = {}
    for path in settings.NEWSDESK_ARTICLE_EXTRAS:
        for key, value in import_string(path)(request, article).items():
            if isinstance(value, list) and isinstance(context.get(key), list):
                context[key] = [*context[key], *value]  # e.g. article_scripts
            else:
                context[key] = value
    return context


@require_safe
@caching.public_page("home")
def home(request):
    lead = selectors.lead_story()
    shown = {lead.pk} if lead else set()
    sections = selectors.latest_by_section(per_section=HOME_PER_SECTION, exclude=shown)
    for _, articles in sections:
        shown.update(a.pk for a in articles)
    blocks = page_blocks(
        request=request, article=None, exclude=shown, keys=("most-read", "recommended")
    )
    response = render(
        request,
        "news/home.html",
        {"lead": lead, "latest_sections": sections, "blocks": blocks},
    )
    caching.add_tags(response, [caching.LATEST, *map(caching.article_tag, shown)])
    caching.add_tags(response, _block_tags(blocks))
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


def _block_tags(blocks) -> list[str]:
    return [caching.article_tag(a.pk) for b in blocks for a in b.articles]


def _render_article(request, article: Article, *, preview: bool = False):
    blocks = page_blocks(request=request, article=article)
    context = {
        "article": article,
        "breadcrumb": selectors.breadcrumb(article.category),
        "blocks": blocks,
        "preview": preview,
        **article_extras(request, article),
    }
    response = render(request, "news/article.html", context)
    caching.add_tags(response, [caching.article_tag(article.pk)])
    caching.add_tags(response, _block_tags(blocks))
    caching.add_tags(
        response, caching.article_tags(context.get("also_reported_by", ()))
    )
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
    number = _page_number(request)
    size = settings.NEWSDESK_PAGE_SIZE
    result = get_search_backend().search(query, offset=(number - 1) * size, limit=size)
    pages = max(1, -(-result.total // size))
    if number > pages:
        raise Http404("No such page")
    return render(
        request,
        "news/search.html",
        {
            "query": query,
            "result": result,
            "number": number,
            "start": (number - 1) * size + 1,
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

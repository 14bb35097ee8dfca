"""The read-only ninjs API under /api/ (described by /api/openapi.json).

Plain Django views: the API is three GET endpoints, which no REST framework
would make shorter, and the OpenAPI document is written out in openapi.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from newsdesk.news import caching, extensions, selectors
from newsdesk.news.images import LeadImage, lead_images
from newsdesk.news.models import Article, Category
from newsdesk.news.ninjs import (
    NinjsArticle,
    NinjsLink,
    NinjsPicture,
    NinjsRendition,
    to_ninjs,
)
from newsdesk.news.openapi import CURSOR_PATTERN, openapi_document

MAX_LIMIT = 100
MAX_ID = 2**63 - 1


class BadRequest(ValueError):
    status = 400


def ninjs_picture(lead: LeadImage) -> NinjsPicture:
    """Adapter: a lead image -> a ninjs picture; renditions named by kind,
    width and format ("16x9-1280-jpeg"), the social crop first."""
    files = dict.fromkeys([*lead.crops, *lead.renditions, lead.original])
    return NinjsPicture(
        uri=lead.original.url,
        renditions=tuple(
            NinjsRendition(
                name=f"{f.kind}-{f.width}-{f.mime.split('/')[-1]}"
                if f.kind != "original"
                else "original",
                href=f.url,
                content_type=f.mime,
                width=f.width,
                height=f.height,
                size=f.size,
            )
            for f in files
        ),
        alt=lead.alt,
        caption=lead.caption,
        credit=lead.credit,
        licence=lead.licence,
        licence_url=lead.licence_url,
    )


def ninjs_article(
    article: Article,
    *,
    site: str,
    image: LeadImage | None = None,
    links: tuple[NinjsLink, ...] = (),
) -> NinjsArticle:
    """Adapter: one Article row -> the pure serializer's input."""
    source = article.source
    return NinjsArticle(
        uri=site + reverse("news:article-by-id", kwargs={"pk": article.pk}),
        url=site + article.get_absolute_url(),
        headline=article.headline,
        body_html=article.body,
        body_text=article.body_text,
        standfirst=article.standfirst,
        byline=article.byline,
        dateline=article.dateline,
        language=settings.LANGUAGE_CODE,
        created=article.created_at,
        published=article.published_at,
        modified=article.updated_at or article.modified_at,
        version=str(int(article.modified_at.timestamp()))
        if article.modified_at
        else "",
        withdrawn=article.status == Article.Status.WITHDRAWN,
        section=article.category.name,
        section_uri=site + article.category.get_absolute_url(),
        tags=tuple((t.name, site + t.get_absolute_url()) for t in article.tags.all()),
        credit=article.display_credit,
        source_name=source.name if source else "",
        source_url=source.url if source else "",
        original_url=article.original_url,
        licence=source.licence if source else "",
        licence_url=source.licence_url if source else "",
        image=ninjs_picture(image) if image is not None else None,
        links=links,
    )


def _site(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _json(request, data, *, status: int = 200, content_type: str = "application/json"):
    """JSON with a strong ETag of the body; If-None-Match -> 304."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if status == 200:
        tags = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
        if etag in tags or "*" in tags:
            response = HttpResponse(status=304)
            response["ETag"] = etag
            return response
    response = HttpResponse(body, status=status, content_type=content_type)
    if status == 200:
        response["ETag"] = etag
    return response


def _error(request, status: int, message: str):
    return _json(request, {"error": message}, status=status)


# For other apps' endpoints under /api/ (discovery's stories): the same JSON,
# ETags and errors.
json_response, error_response, site_of = _json, _error, _site


# Cursors are "<microseconds since 0001-01-01 UTC>_<id>" of the last item of a
# page: every string of CURSOR_PATTERN (published in the OpenAPI document) is
# one, and anything else is a bad parameter (400), as docs/syndication.md says.
_YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(article: Article) -> str:
    return f"{(article.published_at - _YEAR_ONE) // _MICROSECOND}_{article.pk}"


def decode_cursor(value: str) -> tuple[datetime, int]:
    """The (published_at, pk) an `encode_cursor` cursor holds, or BadRequest."""
    if not re.fullmatch(CURSOR_PATTERN, value):
        raise BadRequest("cursor is not one this API issued")
    micro, pk = value.split("_")
    return _YEAR_ONE + int(micro) * _MICROSECOND, int(pk)


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)"
)


def _parse_time(name: str, value: str) -> datetime:
    """An RFC 3339 date-time (with offset) as aware UTC; leap seconds clamp to :59."""
    match = _RFC3339.fullmatch(value.strip())
    if match:
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        text = (
            f"{year}-{month}-{day}T{hour}:{minute}:{min(int(second), 59):02d}"
            f"{(fraction or '')[:7]}{'+00:00' if offset in ('Z', 'z') else offset}"
        )
        try:
            return datetime.fromisoformat(text).astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    raise BadRequest(f"{name} must be an RFC 3339 date-time with an offset")


def filtered_articles(params) -> tuple:
    """(queryset, limit) for the list filters; raises BadRequest on bad input."""
    unknown = set(params) - {
        "category",
        "tag",
        "source",
        "since",
        "until",
        "cursor",
        "limit",
    }
    if unknown:
        raise BadRequest(f"unknown parameter {sorted(unknown)[0]!r}")
    qs = selectors.live_articles().select_related("source").prefetch_related("tags")
    # Filters naming nothing that exists match nothing: an empty page, as for any
    # other filter without matches. A NUL names nothing (and PostgreSQL refuses
    # it in a query: not asked).
    if "category" in params:
        path = params["category"].strip("/")
        category = (
            Category.objects.filter(path=path).first() if "\x00" not in path else None
        )
        qs = qs.filter(selectors.subtree_filter(category)) if category else qs.none()
    if "tag" in params:
        tag = params["tag"]
        qs = qs.filter(tags__slug=tag) if "\x00" not in tag else qs.none()
    if "source" in params:
        raw = params["source"]
        if not raw.isdigit() or int(raw) < 1:
            raise BadRequest("source must be a source id (a whole number from 1)")
        qs = qs.filter(source_id=int(raw)) if int(raw) <= MAX_ID else qs.none()
    if "since" in params:
        qs = qs.filter(published_at__gte=_parse_time("since", params["since"]))
    if "until" in params:
        qs = qs.filter(published_at__lt=_parse_time("until", params["until"]))
    if "cursor" in params:
        when, pk = decode_cursor(params["cursor"])
        qs = qs.filter(published_at__lte=when).exclude(published_at=when, pk__gte=pk)
    limit = settings.NEWSDESK_API_PAGE_SIZE
    if "limit" in params:
        raw = params["limit"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        limit = int(raw)
    return qs.order_by("-published_at", "-pk"), limit


@csrf_exempt  # read-only: unsafe methods get 405 from require_safe, not 403
@require_safe
@caching.public_page("api")
def index(request):
    site = _site(request)
    return _json(
        request,
        {
            "items": site + reverse("syndication:api-items"),
            "openapi": site + reverse("syndication:openapi"),
            "format": "IPTC ninjs 3.0",
        },
    )


@csrf_exempt  # read-only: unsafe methods get 405 from require_safe, not 403
@require_safe
@caching.public_page("api")
def items(request):
    params = {k: request.GET[k] for k in request.GET}
    try:
        qs, limit = filtered_articles(params)
    except BadRequest as exc:
        return _error(request, exc.status, str(exc))
    page = list(qs[: limit + 1])
    site = _site(request)
    images = lead_images(page[:limit], site=site)
    data = {
        "items": [
            to_ninjs(ninjs_article(a, site=site, image=images.get(a.pk)))
            for a in page[:limit]
        ]
    }
    data["next"] = None
    if len(page) > limit:
        query = request.GET.copy()
        query["cursor"] = encode_cursor(page[limit - 1])
        data["next"] = site + request.path + "?" + query.urlencode()
    response = _json(request, data)
    caching.add_tags(response, [caching.LATEST])
    return response


@csrf_exempt  # read-only: unsafe methods get 405 from require_safe, not 403
@require_safe
@caching.public_page("api")
def item(request, pk: str):
    # Matched as a string so that /api/items/abc/ gets this API's JSON 404, not
    # the site's HTML one from the category catch-all.
    if not pk.isdigit() or not 0 < int(pk) <= MAX_ID:
        return _error(request, 404, "no such item")
    article = (
        Article.objects.select_related("category", "source")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
    if article is None or not (
        article.is_live()
        or (article.status == Article.Status.WITHDRAWN and article.published_at)
    ):
        return _error(request, 404, "no such item")
    # A withdrawn article stays addressable as a ninjs kill notice (pubStatus
    # canceled), so that downstream copies can be taken down too.
    site = _site(request)
    image = lead_images([article], site=site).get(article.pk)
    # Other apps' associations (discovery: the article's story), with the purge
    # tags of what they show; `p<id>` as on the article's page, purged when
    # what only this article shows changes (it joins a story).
    links, tags = (
        ([], []) if not article.is_live() else extensions.item_links(article, site)
    )
    doc = to_ninjs(ninjs_article(article, site=site, image=image, links=tuple(links)))
    response = _json(request, doc)
    caching.add_tags(
        response,
        [caching.article_tag(article.pk), caching.page_tag(article.pk), *tags],
    )
    return response


@csrf_exempt  # read-only: unsafe methods get 405 from require_safe, not 403
@require_safe
@cache_control(public=True, max_age=3600)
def openapi(request):
    return JsonResponse(openapi_document(server=_site(request)))

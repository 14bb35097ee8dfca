"""The page cache inside Django: first in MIDDLEWARE, so that the pages it
stores carry the headers every other layer added, and the hits it answers skip
them all. newsdesk.wsgi answers hits before Django; this answers them for other
servers (ASGI, the test client) and stores what Django renders.
"""

from __future__ import annotations

import time

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from newsdesk.cache import pages
from newsdesk.news import caching
from newsdesk.news.caching import response_tags


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.time()
        key = pages.request_key(request.META) if pages.enabled() else None
        if key is not None:
            entry = pages.get(key, started)
            if entry is not None:
                return _from_entry(entry, request.META, started)
        token = caching.start_page(started)
        try:
            response = self.get_response(request)
        finally:
            data_time = caching.end_page(token)
        if response.status_code != 200 or response.streaming:
            return response
        tags = response_tags(response)
        if not tags:  # not a public page (news.caching.public_page)
            return response
        pages.set_validators(response, rendered=started)
        if key is not None and request.method == "GET":
            entry = pages.make_entry(
                response, rendered=started, data_time=data_time, tags=tags
            )
            if entry is not None:
                pages.put(key, entry)
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=parse_http_date_safe(response["Last-Modified"]),
            response=response,
        )


def _from_entry(entry, environ, now) -> HttpResponse:
    status, headers, body = pages.response_parts(entry, environ, now)
    response = HttpResponse(body, status=int(status[:3]))
    for name, value in headers:
        response[name] = value
    return response

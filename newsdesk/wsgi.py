"""WSGI entry point, with lanes for page-cache hits and view beacons in front
of Django's handler.

A page-cache hit is the same bytes for every reader, stored with every header
the middleware stack added: newsdesk.cache.lane answers it with a dict lookup.

A beacon is the busiest request a news site serves (one per page view,
uncached by design) and needs nothing of the request cycle but the request
itself: no URL resolution, no middleware, no session, no database connection
housekeeping (the counter buffers in memory). Answering it here, with the same
code the beacon view runs, roughly halves its cost. Anything unusual (a
session cookie, so staff can be recognised; an HTTPS redirect still due; a bad
Host header) takes the normal route.
"""

import os
import re

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.core.exceptions import DisallowedHost  # noqa: E402
from django.core.handlers.wsgi import WSGIRequest  # noqa: E402

from newsdesk.cache import lane  # noqa: E402
from newsdesk.engagement import beacon  # noqa: E402
from newsdesk.proxy import drop_untrusted_forwarded_proto  # noqa: E402

BEACON_PATH = re.compile(r"/engagement/beacon/([0-9]{1,18})\Z")


def application(environ, start_response):
    drop_untrusted_forwarded_proto(environ)  # before the lanes read the scheme
    method = environ.get("REQUEST_METHOD")
    if method == "GET" or method == "HEAD":
        body = lane.serve(environ, start_response)
        if body is not None:
            return body
    elif method == "POST":
        match = BEACON_PATH.match(environ.get("PATH_INFO", ""))
        if match is not None:
            response = _beacon(environ, int(match.group(1)))
            if response is not None:
                status = f"{response.status_code} {response.reason_phrase}"
                headers = [
                    *response.items(),
                    *(
                        ("Set-Cookie", c.OutputString())
                        for c in response.cookies.values()
                    ),
                ]
                start_response(status, headers)
                return [response.content]
    return django_application(environ, start_response)


def _beacon(environ, article_id):
    request = WSGIRequest(environ)
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None
    try:
        request.get_host()  # ALLOWED_HOSTS, as the full stack would check
    except DisallowedHost:
        return None
    return beacon.respond(request, article_id, pixel=False)

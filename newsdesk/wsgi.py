"""WSGI entry point, with lanes for page-cache hits and view beacons in front
of Django's handler.

A page-cache hit is the same bytes for every reader, stored with every header
the middleware stack added: newsdesk.cache.lane answers it with a dict lookup.

A beacon is the busiest request a news site serves (one per page view,
uncached by design) and needs nothing of the request cycle but the request
itself: no URL resolution, no middleware, no session, no database connection
housekeeping (the counter buffers in memory). Answering it here, with the same
code the beacon view runs, roughly halves its cost. Which beacons may is
decided by newsdesk.engagement.beacon.fast_lane, as for the middleware lane.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
django_application = get_wsgi_application()

from django.core.handlers.wsgi import WSGIRequest  # noqa: E402

from newsdesk.cache import lane  # noqa: E402
from newsdesk.engagement import beacon  # noqa: E402
from newsdesk.proxy import drop_untrusted_forwarded_proto  # noqa: E402


def application(environ, start_response):
    drop_untrusted_forwarded_proto(environ)  # before the lanes read the scheme
    method = environ.get("REQUEST_METHOD")
    if method == "GET" or method == "HEAD":
        body = lane.serve(environ, start_response)
        if body is not None:
            return body
    elif method == "POST" and beacon.BEACON_PATH.match(environ.get("PATH_INFO", "")):
        # Only beacons build a request here: other POSTs go straight on.
        request = WSGIRequest(environ)
        article_id = beacon.fast_lane(request)
        if article_id is not None:
            response = beacon.respond(request, article_id, pixel=False)
            status = f"{response.status_code} {response.reason_phrase}"
            headers = [
                *response.items(),
                *(("Set-Cookie", c.OutputString()) for c in response.cookies.values()),
            ]
            start_response(status, headers)
            return [response.content]
    return django_application(environ, start_response)

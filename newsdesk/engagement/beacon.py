"""The beacon's response, shared by the view and the fast lanes (newsdesk.wsgi
before Django, engagement.middleware first in MIDDLEWARE)."""

from __future__ import annotations

import base64
import re

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseNotFound

from newsdesk.engagement import actions, readers
from newsdesk.engagement.counters import valid_id

BEACON_PATH = re.compile(r"/engagement/beacon/([0-9]{1,18})\Z")
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def fast_lane(request) -> int | None:
    """The article id of a beacon that may skip the rest of the stack, else None.

    Anything unusual takes the normal route to the same code: a session cookie
    (staff are recognised there), an HTTPS redirect still due, a Host that
    ALLOWED_HOSTS refuses.
    """
    if request.method != "POST":
        return None
    match = BEACON_PATH.match(request.path_info)
    if match is None or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None
    try:
        request.get_host()  # ALLOWED_HOSTS, as the rest of the stack checks it
    except DisallowedHost:
        return None
    return int(match.group(1))


def respond(request, article_id: int, *, pixel: bool) -> HttpResponse:
    """Count the view if it is one; 204 (or a 1x1 GIF), never cached.

    An id that cannot be an article's (0, beyond 64 bits) is a 404; the beacon
    of an unknown or unpublished article is answered as usual and dropped by
    the counter's writer, which keeps the beacon free of database queries.
    """
    if not valid_id(article_id):
        return HttpResponseNotFound(content_type="text/plain")
    reader = actions.check_view(request, article_id)
    if pixel:
        response = HttpResponse(GIF, content_type="image/gif")
    else:
        response = HttpResponse(status=204)
    # Set directly: add_never_cache_headers costs more than the count itself.
    response["Cache-Control"] = "no-store, max-age=0"
    if reader is not None:
        readers.set_reader_cookie(response, reader)
    return response

"""The beacon's response, shared by the view and the middleware fast lane."""

from __future__ import annotations

import base64

from django.http import HttpResponse, HttpResponseNotFound

from newsdesk.engagement import actions, readers
from newsdesk.engagement.counters import valid_id

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


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

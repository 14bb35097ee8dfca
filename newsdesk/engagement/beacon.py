"""The beacon's response, shared by the view and the middleware fast lane."""

from __future__ import annotations

import base64

from django.http import HttpResponse

from newsdesk.engagement import actions, readers

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def respond(request, article_id: int, *, pixel: bool) -> HttpResponse:
    """Count the view if it is one; 204 (or a 1x1 GIF), never cached."""
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

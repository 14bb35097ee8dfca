"""Page-cache hits answered in front of Django (newsdesk.wsgi).

A hit needs nothing of the request cycle: the stored page already carries
every header the middleware stack added, and a request that might be
personal (a session, credentials) never gets here (pages.request_key). What
is left is a dict lookup and the bytes.
"""

from __future__ import annotations

import time

from newsdesk.cache import pages


def serve(environ, start_response):
    """The response body for a hit (after start_response), else None."""
    if not pages.enabled():
        return None
    key = pages.request_key(environ)
    if key is None:
        return None
    now = time.time()
    entry = pages.get(key, now)
    if entry is None:
        return None
    status, headers, body = pages.response_parts(entry, environ, now)
    start_response(status, headers)
    return [body]

"""A fast lane for beacons, first in MIDDLEWARE.

A beacon is the busiest request a news site serves (one per page view, the
same rate as page views themselves, uncached by design) and needs none of the
site's middleware: no session, no CSRF (see views.beacon), no messages, no
HTML headers. Answering it before the rest of the stack cuts its cost several
fold. Requests that do need the full stack (a session cookie, so staff can be
recognised; an HTTPS redirect still due) take the normal route to the same code.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import DisallowedHost

from newsdesk.engagement import beacon

BEACON_PATH = re.compile(r"/engagement/beacon/([0-9]{1,18})\Z")


class BeaconMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            match = BEACON_PATH.match(request.path_info)
            if (
                match is not None
                and settings.SESSION_COOKIE_NAME not in request.COOKIES
                and not (settings.SECURE_SSL_REDIRECT and not request.is_secure())
                and _host_allowed(request)
            ):
                return beacon.respond(request, int(match.group(1)), pixel=False)
        return self.get_response(request)


def _host_allowed(request) -> bool:
    try:
        request.get_host()  # ALLOWED_HOSTS, as the rest of the stack checks it
    except DisallowedHost:
        return False
    return True

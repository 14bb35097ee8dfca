"""A fast lane for beacons, first in MIDDLEWARE.

A beacon is the busiest request a news site serves (one per page view, the
same rate as page views themselves, uncached by design) and needs none of the
site's middleware: no session, no CSRF (see views.beacon), no messages, no
HTML headers. Answering it before the rest of the stack cuts its cost several
fold. Which beacons may is decided in one place, beacon.fast_lane (newsdesk.wsgi
asks it too, before Django).
"""

from __future__ import annotations

from newsdesk.engagement import beacon


class BeaconMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        article_id = beacon.fast_lane(request)
        if article_id is not None:
            return beacon.respond(request, article_id, pixel=False)
        return self.get_response(request)

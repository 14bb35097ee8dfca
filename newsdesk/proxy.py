"""X-Forwarded-Proto is believed only from the proxy that sets it.

With NEWSDESK_TRUST_X_FORWARDED_PROTO on, Django treats a request carrying
`X-Forwarded-Proto: https` as https (no redirect, Secure cookies, the https
copy of a cached page). Only the TLS proxy may say so: from any other peer
(something on the network reaching the server port, another local process)
the header is dropped before anything reads it, so such a request is plain
http, redirected when NEWSDESK_SSL_REDIRECT is on. The proxy's addresses are
NEWSDESK_TRUSTED_PROXIES (127.0.0.1 and ::1: nginx on the same machine).
"""

from __future__ import annotations

from django.conf import settings

HEADER = "HTTP_X_FORWARDED_PROTO"


def drop_untrusted_forwarded_proto(meta) -> None:
    """Remove X-Forwarded-Proto from a WSGI environ (or request.META) unless
    the request came straight from a trusted proxy."""
    if (
        HEADER in meta
        and meta.get("REMOTE_ADDR") not in settings.NEWSDESK_TRUSTED_PROXIES
    ):
        del meta[HEADER]


class ForwardedProtoMiddleware:
    """The same for servers other than newsdesk.wsgi (ASGI, the test client)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        drop_untrusted_forwarded_proto(request.META)
        return self.get_response(request)

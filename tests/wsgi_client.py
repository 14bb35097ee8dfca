"""Calling newsdesk's production WSGI entry point (newsdesk.wsgi) from a test."""

from __future__ import annotations

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


def run_wsgi(environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of newsdesk.wsgi.application for `environ`.

    The production handler closes "old" connections when a request starts and
    ends: inside the test's transaction (autocommit off) that would close the
    test's own connection on PostgreSQL (a no-op on in-memory SQLite). Django's
    test client switches this off the same way."""
    from newsdesk.wsgi import application

    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body

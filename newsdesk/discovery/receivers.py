"""Reading history from engagement's counted views, without changing engagement.

Engagement sends no signal for a view; what it does offer is a pluggable view
counter (NEWSDESK_VIEW_COUNTER) whose `record(hit)` runs in the beacon request.
`HistoryCounter` wraps the configured counter (settings.py puts it in front)
and, for each hit, also records a read when the reader allows it. Whether the
reader allows it is decided from the beacon request's own cookies and Sec-GPC
header, which a `request_started` receiver keeps for the duration of the
request (the hit itself carries no request).

A hit is a candidate view, not yet de-duplicated; the history write treats a
repeat within the view window as the same read (recommend_actions).
"""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie

from django.conf import settings
from django.utils.module_loading import import_string

from newsdesk.discovery import recommend_actions
from newsdesk.discovery.recommend_selectors import PREFERENCE_COOKIE, personalisation
from newsdesk.engagement.counters import Hit, ViewCounter

# (cookie header, Sec-GPC header) of the request being served, if any.
_request: ContextVar[tuple[str, str] | None] = ContextVar(
    "discovery_request", default=None
)


def remember_request(sender, environ=None, scope=None, **kwargs) -> None:
    if environ is not None:  # WSGI
        _request.set((environ.get("HTTP_COOKIE", ""), environ.get("HTTP_SEC_GPC", "")))
    elif scope is not None:  # ASGI
        headers = dict(scope.get("headers") or ())
        _request.set(
            (
                headers.get(b"cookie", b"").decode("latin-1"),
                headers.get(b"sec-gpc", b"").decode("latin-1"),
            )
        )


def forget_request(sender, **kwargs) -> None:
    _request.set(None)


def history_allowed() -> bool:
    """Whether the current request's reader allows recording their reads.

    Outside a request (a script, a test calling the counter) nothing is
    recorded: there is no one whose choice could be known.
    """
    current = _request.get()
    if current is None:
        return False
    cookie_header, gpc = current
    choice = None
    if PREFERENCE_COOKIE in cookie_header:
        morsel = SimpleCookie(cookie_header).get(PREFERENCE_COOKIE)
        choice = morsel.value if morsel else None
    return personalisation(cookie=choice, gpc=gpc.strip() == "1").enabled


class HistoryCounter(ViewCounter):
    """A view counter that also feeds reading history; wraps the real counter
    named by NEWSDESK_READING_HISTORY_COUNTER."""

    def __init__(self, inner: ViewCounter | None = None) -> None:
        path = getattr(
            settings,
            "NEWSDESK_READING_HISTORY_COUNTER",
            "newsdesk.engagement.counters.buffered.BufferedCounter",
        )
        self.inner = inner or import_string(path)()

    def record(self, hit: Hit) -> None:
        self.inner.record(hit)
        if history_allowed():
            # A reader without a cookie is hashed by IP + UA for counting, but
            # their history belongs to the cookie issued with this response.
            reader = hit.alias if hit.alias is not None else hit.reader
            recommend_actions.record_read(reader, hit.article_id, hit.at)

    def flush(self) -> int:
        counted = self.inner.flush()
        recommend_actions.get_read_buffer().flush()
        return counted

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            recommend_actions.get_read_buffer().flush()

    def __getattr__(self, name):
        # pending(), dropped... of the wrapped counter stay reachable.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

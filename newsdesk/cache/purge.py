"""Purge backends: how a purge reaches caches outside newsdesk (proxies, CDNs).

newsdesk's own page cache is always purged (pages.purge). NEWSDESK_PURGE_BACKEND
names a `PurgeBackend` subclass (dotted path; "" = none) that is told the same
tags; the built-in `HttpBanPurger` sends Varnish a BAN per batch of tags
(deploy/varnish.vcl bans every object whose X-Cache-Tags header carries one).
A CDN with tag purges (Fastly surrogate keys, Cloudflare cache tags...) fits
the same interface.
"""

from __future__ import annotations

import abc
import logging
import re
import threading
import urllib.request
from collections.abc import Collection

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

TAG_RE = re.compile(r"\A[A-Za-z0-9_.-]{1,64}\Z")


class PurgeBackend(abc.ABC):
    @abc.abstractmethod
    def purge(self, tags: Collection[str]) -> None:
        """Drop every cached response tagged with one of `tags`. Must not raise
        for an unreachable cache (log instead): the edit is already saved."""


class HttpBanPurger(PurgeBackend):
    """`BAN /` with `X-Ban-Tags: ,(a1|c2|latest),` to each NEWSDESK_PURGE_URLS.

    The header is a regular expression on the X-Cache-Tags header of stored
    objects (",a1,c2,latest,"); tags are letters, digits, `_.-` only.
    """

    batch = 100  # tags per BAN: keeps the header and Varnish's ban list small
    timeout = 3.0

    def __init__(self, urls: Collection[str] | None = None):
        self.urls = list(settings.NEWSDESK_PURGE_URLS if urls is None else urls)

    def purge(self, tags: Collection[str]) -> None:
        clean = sorted(t for t in tags if TAG_RE.match(t))
        for i in range(0, len(clean), self.batch):
            pattern = ",(" + "|".join(re.escape(t) for t in clean[i : i + self.batch])
            for url in self.urls:
                self._ban(url, pattern + "),")

    def _ban(self, url: str, pattern: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - operator-configured URL
            url.rstrip("/") + "/", method="BAN", headers={"X-Ban-Tags": pattern}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except OSError as exc:  # URLError, HTTPError, timeouts
            log.warning("BAN to %s failed: %s", url, exc)


_backend: tuple[str, PurgeBackend | None] | None = None
_lock = threading.Lock()


def get_purge_backend() -> PurgeBackend | None:
    """The configured backend (one per process), or None."""
    global _backend
    path = settings.NEWSDESK_PURGE_BACKEND
    current = _backend
    if current is not None and current[0] == path:
        return current[1]
    with _lock:
        _backend = (path, import_string(path)() if path else None)
        return _backend[1]

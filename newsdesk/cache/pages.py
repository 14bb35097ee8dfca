"""The full-page cache: public pages stored as finished responses.

Two levels:
- a shared level, Django's cache alias "pages" (NEWSDESK_PAGE_CACHE_URL: a file
  cache shared by the processes of one machine, Redis for several machines);
- a copy in each process, trusted for NEWSDESK_PAGE_CACHE_LOCAL_SECONDS before
  it is checked against the shared level again, so that a hit costs a dict
  lookup and no I/O.

Invalidation is by tag (news.caching): `purge(tags)` records the time each tag
was purged; an entry whose rendering started before a purge of one of its tags
is dead. This is exact under races (a page rendered while the article changed
started before the purge, so it dies too) and needs no list of keys per tag.
The purging process drops its own copies at once; other processes and hosts
notice within the local trust time (1 s by default).

An entry past its max-age is served stale for its stale-while-revalidate time
while one request per process renders it again; a purged entry is never served.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.utils.http import http_date, parse_http_date_safe

ALIAS = "pages"
MAX_SECONDS = 3600  # the longest a page stays in the shared cache
# A purge only matters to entries stored before it, which live MAX_SECONDS at most.
PURGE_RECORD_SECONDS = 2 * MAX_SECONDS
REFRESH_SECONDS = 10.0  # a re-render taking longer is presumed failed
_PURGE_PREFIX = "purge:"
_PAGE_PREFIX = "page:"
_SWR = re.compile(r"stale-while-revalidate=(\d+)")
# Hop-by-hop or per-response headers never stored with a page.
_NOT_STORED = frozenset({"date", "age", "set-cookie", "connection"})
_NOT_IN_304 = frozenset({"content-length", "content-type"})

Key = tuple[str, str, str, str]  # scheme, host, path, query string


@dataclass(slots=True)
class Entry:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    last_modified: int  # Unix seconds, as in the Last-Modified header
    rendered: float  # its data's time (render start or older): later purges kill it
    fresh_until: float
    stale_until: float
    tags: tuple[str, ...]


_local: dict[Key, tuple[Entry, float]] = {}  # key -> (entry, trusted until)
_local_bytes = 0
_refreshing: dict[Key, float] = {}
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class _Conf:
    """The settings a hit reads, looked up once: through Django's lazy settings
    object they were a third of a hit's Python time."""

    enabled: bool
    session_cookie: str
    ssl_redirect: bool
    proxy_ssl_header: tuple[str, str] | None
    local_seconds: float


_conf_now: list[_Conf] = []


def _conf() -> _Conf:
    if not _conf_now:
        _conf_now.append(
            _Conf(
                enabled=bool(settings.NEWSDESK_PAGE_CACHE),
                session_cookie=settings.SESSION_COOKIE_NAME + "=",
                ssl_redirect=bool(settings.SECURE_SSL_REDIRECT),
                proxy_ssl_header=settings.SECURE_PROXY_SSL_HEADER or None,
                local_seconds=settings.NEWSDESK_PAGE_CACHE_LOCAL_SECONDS,
            )
        )
    return _conf_now[0]


def _settings_changed(**kwargs) -> None:
    _conf_now.clear()  # tests' override_settings: look again


setting_changed.connect(_settings_changed)


def enabled() -> bool:
    return _conf().enabled


def shared():
    return caches[ALIAS]


def _scheme(environ, conf: _Conf) -> str:
    header = conf.proxy_ssl_header
    if header:
        name, value = header
        if environ.get(name, "").split(",", 1)[0].strip() == value:
            return "https"
    return environ.get("wsgi.url_scheme", "http")


def request_key(environ) -> Key | None:
    """The cache key of a request that may be answered from the cache, else None.

    Anything that may be personal takes the full stack: a session (staff, who
    are also never served pages stored from their requests) or credentials.
    An HTTPS redirect still due is left to Django too.
    """
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    conf = _conf()
    cookies = environ.get("HTTP_COOKIE")
    if cookies and conf.session_cookie in cookies:
        return None
    if "HTTP_AUTHORIZATION" in environ:
        return None
    scheme = _scheme(environ, conf)
    if conf.ssl_redirect and scheme != "https":
        return None
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    return (
        scheme,
        host.lower(),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


def _shared_key(key: Key) -> str:
    raw = "\n".join(key).encode("utf-8", "surrogateescape")
    return _PAGE_PREFIX + hashlib.md5(raw, usedforsecurity=False).hexdigest()


def _remember(key: Key, entry: Entry, now: float) -> None:
    global _local_bytes
    trusted = now + _conf().local_seconds
    limit = settings.NEWSDESK_PAGE_CACHE_LOCAL_BYTES
    with _lock:
        old = _local.get(key)
        if old is not None:
            _local_bytes -= len(old[0].body)
        _local[key] = (entry, trusted)
        _local_bytes += len(entry.body)
        while _local_bytes > limit and _local:
            # Oldest first (dicts keep insertion order).
            first = next(iter(_local))
            _local_bytes -= len(_local.pop(first)[0].body)


def _drop(key: Key) -> None:
    global _local_bytes
    _refreshing.pop(key, None)
    with _lock:
        old = _local.pop(key, None)
        if old is not None:
            _local_bytes -= len(old[0].body)


def _purged(entry: Entry) -> bool:
    if not entry.tags:
        return False
    records = shared().get_many([_PURGE_PREFIX + t for t in entry.tags])
    return any(at >= entry.rendered for at in records.values())


def _load(key: Key, now: float) -> Entry | None:
    """The shared copy, if there is a live one; remembered locally."""
    entry = shared().get(_shared_key(key))
    if entry is None or now >= entry.stale_until:
        return None
    if _purged(entry):
        shared().delete(_shared_key(key))
        return None
    _remember(key, entry, now)
    return entry


def _revalidate(key: Key, entry: Entry, now: float) -> Entry | None:
    """The local copy's trust ran out: look at the shared level again."""
    if now >= entry.fresh_until:
        newer = _load(key, now)
        if newer is not None:
            return newer
    if _purged(entry):
        _drop(key)
        return None
    _remember(key, entry, now)
    return entry


def get(key: Key, now: float | None = None) -> Entry | None:
    """A page to serve for `key`, or None: render it (then `put` it)."""
    now = time.time() if now is None else now
    item = _local.get(key)
    if item is None:
        entry = _load(key, now)
    else:
        entry, trusted_until = item
        if now >= trusted_until:
            entry = _revalidate(key, entry, now)
    if entry is None:
        return None
    if now < entry.fresh_until:
        return entry
    if now >= entry.stale_until:
        _drop(key)
        return None
    # Stale: one request per process renders it again, the others get this copy.
    started = _refreshing.get(key)
    if started is not None and now - started < REFRESH_SECONDS:
        return entry
    _refreshing[key] = now
    return None


def put(key: Key, entry: Entry) -> None:
    now = time.time()
    timeout = math.ceil(entry.stale_until - now)
    if timeout > 0:
        shared().set(_shared_key(key), entry, timeout)
        _remember(key, entry, now)
    _refreshing.pop(key, None)


def purge(tags) -> None:
    """Kill every cached page carrying one of `tags`, in every process and host."""
    tags = set(tags)
    if not tags:
        return
    now = time.time()
    shared().set_many(
        {_PURGE_PREFIX + t: now for t in tags}, timeout=PURGE_RECORD_SECONDS
    )
    for key, (entry, _) in list(_local.items()):
        if tags.intersection(entry.tags):
            _drop(key)


def clear() -> None:
    """Forget every page (tests, operators)."""
    global _local_bytes
    with _lock:
        _local.clear()
        _local_bytes = 0
        _refreshing.clear()
    shared().clear()


def make_entry(
    response, *, rendered: float, tags, data_time: float | None = None
) -> Entry | None:
    """An entry for a finished public 200 response, or None when it must not
    be shared (cookies, Vary: Cookie, private, no max-age). `data_time`: the
    oldest data it shows (a list remembered before `rendered`); purges after
    it kill the entry."""
    control = response.get("Cache-Control", "").lower()
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or "public" not in control
        or any(w in control for w in ("private", "no-store", "no-cache"))
    ):
        return None
    vary = response.get("Vary", "").lower()
    if "cookie" in vary or "*" in vary:
        return None
    from django.utils.cache import get_max_age

    max_age = min(get_max_age(response) or 0, MAX_SECONDS)
    if max_age <= 0:
        return None
    swr = _SWR.search(control)
    stale = min(int(swr.group(1)), MAX_SECONDS) if swr else 0
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return Entry(
        status=200,
        headers=[
            (name, value)
            for name, value in response.items()
            if name.lower() not in _NOT_STORED
        ],
        body=response.content,
        etag=response.get("ETag", ""),
        last_modified=last_modified or int(rendered),
        rendered=min(rendered, data_time) if data_time is not None else rendered,
        fresh_until=rendered + max_age,
        stale_until=rendered + max_age + stale,
        tags=tuple(sorted(tags)),
    )


def set_validators(response, *, rendered: float) -> None:
    """ETag (of the bytes) and Last-Modified (the render) of a public page."""
    if not response.has_header("ETag"):
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        response["ETag"] = f'"{digest}"'
    if not response.has_header("Last-Modified"):
        response["Last-Modified"] = http_date(int(rendered))


def not_modified(entry: Entry, environ) -> bool:
    """RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        if match.strip() == "*":
            return True
        etag = entry.etag.removeprefix("W/")
        return any(t.strip().removeprefix("W/") == etag for t in match.split(","))
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since:
        when = parse_http_date_safe(since)
        return when is not None and entry.last_modified <= when
    return False


def response_parts(entry: Entry, environ, now: float):
    """(status line, headers, body) answering `environ` from `entry`."""
    age = ("Age", str(max(0, int(now - entry.rendered))))
    if not_modified(entry, environ):
        headers = [h for h in entry.headers if h[0].lower() not in _NOT_IN_304]
        return "304 Not Modified", [*headers, age], b""
    body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else entry.body
    return "200 OK", [*entry.headers, age], body

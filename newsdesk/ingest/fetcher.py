"""HTTP(S) fetching of feeds: conditional, bounded, polite, and SSRF-guarded.

No Django: `FetchConfig` carries the settings in. Written on http.client rather
than urllib so that the address checked against the private-network guard is the
address connected to (a second DNS lookup could be answered differently).
"""

from __future__ import annotations

import gzip
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit


class FetchError(Exception):
    """The feed could not be fetched; the message says why, for the feed's status."""


@dataclass(frozen=True, slots=True)
class FetchConfig:
    user_agent: str = "newsdesk-ingest/0.1"
    timeout: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 3
    host_interval: float = 2.0
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # after redirects
    status: int  # 200, or 304 when the feed has not changed
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


_last_request: dict[str, float] = {}
_lock = threading.Lock()


def _wait_for_host(host: str, interval: float) -> None:
    """Sleep until `interval` seconds have passed since the last request to `host`."""
    if interval <= 0:
        return
    with _lock:
        now = time.monotonic()
        ready = _last_request.get(host, 0.0) + interval
        _last_request[host] = max(now, ready)
    if ready > now:
        time.sleep(ready - now)


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """An address of `host` that is safe to connect to, or FetchError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}") from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if allow_private or address.is_global:
            return str(address)
    raise FetchError(
        f"{host} resolves to a private or loopback address; set "
        "NEWSDESK_INGEST_ALLOW_PRIVATE=1 to allow it"
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_capped(response, limit: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(f"feed is larger than the {limit}-byte limit")
    chunks, size = [], 0
    while True:
        chunk = response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise FetchError(f"feed is larger than the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in {"", "identity"}:
        return body
    if encoding not in {"gzip", "x-gzip", "deflate"}:
        raise FetchError(f"unsupported Content-Encoding {encoding!r}")
    try:
        if encoding == "deflate":
            decompressor = zlib.decompressobj()
        else:
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        # max_length bounds the output: a small gzip bomb cannot fill memory.
        out = decompressor.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise FetchError(f"bad {encoding} body: {exc}") from None
    if len(out) > limit:
        raise FetchError(
            f"feed is larger than the {limit}-byte limit once decompressed"
        )
    return out


def fetch(
    url: str,
    *,
    config: FetchConfig,
    etag: str = "",
    last_modified: str = "",
) -> FetchResult:
    """GET `url` with the validators of the previous fetch; 304 -> not_modified."""
    for _ in range(config.max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FetchError(f"only http and https URLs can be fetched, not {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname, port, allow_private=config.allow_private)
        _wait_for_host(parts.hostname, config.host_interval)
        cls = (
            _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        )
        conn = cls(parts.hostname, port, address=address, timeout=config.timeout)
        headers = {
            "User-Agent": config.user_agent,
            "Accept": (
                "application/rss+xml, application/atom+xml, application/feed+json, "
                "application/json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
            ),
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            if response.status in {301, 302, 303, 307, 308}:
                location = response.getheader("Location")
                response.read(0)
                if not location:
                    raise FetchError(f"HTTP {response.status} without a Location")
                url = urljoin(url, location)
                continue
            if response.status == 304:
                return FetchResult(
                    url=url, status=304, etag=etag, last_modified=last_modified
                )
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} {response.reason}")
            raw = _read_capped(response, config.max_bytes)
            body = _decode(
                raw, response.getheader("Content-Encoding", ""), config.max_bytes
            )
            return FetchResult(
                url=url,
                status=200,
                body=body,
                content_type=response.getheader("Content-Type", ""),
                etag=response.getheader("ETag", ""),
                last_modified=response.getheader("Last-Modified", ""),
            )
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
    raise FetchError(f"more than {config.max_redirects} redirects")

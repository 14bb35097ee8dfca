"""HTTP(S) fetching of feeds: conditional, bounded, polite, and SSRF-guarded.

No Django: `FetchConfig` carries the settings in. Written on http.client rather
than urllib so that the address checked against the private-network guard is the
address connected to (a second DNS lookup could be answered differently).
"""

from __future__ import annotations

import contextlib
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
    # Private networks allowed anyway (CIDR strings), e.g. a wire server on the
    # intranet; every other private address stays refused.
    allowed_networks: tuple[str, ...] = ()
    accept: str = (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
    )


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


# IPv6 forms that carry an IPv4 address a router or translator may forward to:
# checked by the IPv4 address inside, since `is_global` judges only the prefix
# (64:ff9b::7f00:1 and 2002:7f00:1:: are "global" yet reach 127.0.0.1).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use only
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when `address` is globally reachable, judging IPv6 forms that embed
    an IPv4 address (mapped, compatible, NAT64, 6to4) by that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL or address.teredo is not None:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return inner.is_global
    return address.is_global


def resolve(
    host: str, port: int, *, allow_private: bool, allowed_networks: tuple[str, ...] = ()
) -> str:
    """An address of `host` that is safe to connect to, or FetchError: public,
    or inside one of `allowed_networks`, or anything with `allow_private`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FetchError(f"cannot resolve {host}: {reason}") from None
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if (
            allow_private
            or is_public(address)
            or any(address in network for network in networks)
        ):
            return str(address)
    raise FetchError(
        f"{host} resolves to a private or loopback address; set "
        "NEWSDESK_INGEST_ALLOW_PRIVATE=1 to allow it"
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self.raw_sock: socket.socket | None = None

    def connect(self):
        self.sock = self.raw_sock = socket.create_connection(
            (self._address, self.port), self.timeout
        )


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address
        self.raw_sock: socket.socket | None = None

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.raw_sock = sock
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _Watchdog:
    """Cuts a connection when the fetch's total deadline passes.

    Socket timeouts bound each operation only: a server sending one byte per
    second would hold a read forever. At the deadline the socket is shut down
    from a timer thread, which ends any blocked connect, handshake or read.
    """

    def __init__(self, conn, seconds: float) -> None:
        self.conn = conn
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.fired = True
        sock = self.conn.raw_sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _read_capped(response, limit: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(f"the response is larger than the {limit}-byte limit")
    chunks, size = [], 0
    while True:
        chunk = response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise FetchError(f"the response is larger than the {limit}-byte limit")
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
            f"the response is larger than the {limit}-byte limit once decompressed"
        )
    return out


def fetch(
    url: str,
    *,
    config: FetchConfig,
    etag: str = "",
    last_modified: str = "",
) -> FetchResult:
    """GET `url` with the validators of the previous fetch; 304 -> not_modified.

    `config.timeout` bounds the whole fetch, redirects included (the wait
    between two requests to one host is politeness and does not count).
    """
    deadline: float | None = None
    for _ in range(config.max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FetchError(f"only http and https URLs can be fetched, not {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"bad port in {url!r}") from None
        address = resolve(
            parts.hostname,
            port,
            allow_private=config.allow_private,
            allowed_networks=config.allowed_networks,
        )
        waited = time.monotonic()
        _wait_for_host(parts.hostname, config.host_interval)
        waited = time.monotonic() - waited
        if deadline is None:
            deadline = time.monotonic() + config.timeout
        else:
            deadline += waited  # politeness is not the server's slowness
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow(config)
        cls = (
            _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        )
        conn = cls(
            parts.hostname,
            port,
            address=address,
            timeout=min(config.timeout, remaining),
        )
        watchdog = _Watchdog(conn, remaining)
        try:
            with watchdog:
                result = _get(conn, url, parts, config, etag, last_modified)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if watchdog.fired:
                raise _too_slow(config) from None
            raise FetchError(f"{type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
        # A cut connection can look like a clean end of the body: never trust
        # what was read once the deadline has passed.
        if watchdog.fired or time.monotonic() > deadline:
            raise _too_slow(config)
        if isinstance(result, str):
            url = result  # a redirect
            continue
        return result
    raise FetchError(f"more than {config.max_redirects} redirects")


def _too_slow(config: FetchConfig) -> FetchError:
    return FetchError(f"the fetch took longer than {config.timeout:g} s")


def _get(conn, url, parts, config, etag, last_modified) -> FetchResult | str:
    """One request; a FetchResult, or the next URL when redirected."""
    headers = {
        "User-Agent": config.user_agent,
        "Accept": config.accept,
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn.request("GET", target, headers=headers)
    response = conn.getresponse()
    if response.status in {301, 302, 303, 307, 308}:
        location = response.getheader("Location")
        if not location:
            raise FetchError(f"HTTP {response.status} without a Location")
        return urljoin(url, location)
    if response.status == 304:
        return FetchResult(url=url, status=304, etag=etag, last_modified=last_modified)
    if response.status != 200:
        raise FetchError(f"HTTP {response.status} {response.reason}")
    raw = _read_capped(response, config.max_bytes)
    body = _decode(raw, response.getheader("Content-Encoding", ""), config.max_bytes)
    return FetchResult(
        url=url,
        status=200,
        body=body,
        content_type=response.getheader("Content-Type", ""),
        etag=response.getheader("ETag", ""),
        last_modified=response.getheader("Last-Modified", ""),
    )

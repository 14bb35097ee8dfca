"""Who is reading: a first-party random cookie, else a keyed hash of IP + UA.

Readers are reduced to signed 64-bit integers before anything is stored:
cookie values through a key derived from SECRET_KEY (stable), cookieless
readers through a random salt of the current UTC day (rotates, so yesterday's
hashes cannot be linked to today's). Raw IP addresses never leave this module.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

COOKIE_NAME = "newsdesk_reader"
COOKIE_MAX_AGE = 365 * 24 * 3600
_COOKIE_RE = re.compile(r"^[A-Za-z0-9_-]{22,43}$")

_salts: dict[date, bytes] = {}
_salts_lock = threading.Lock()


@dataclass(frozen=True)
class Reader:
    key: int  # what is stored
    new_cookie: str | None = None  # set on the response when the reader had none
    cookie_key: int | None = None  # key of new_cookie (an alias of `key`)


def _to_int(digest: bytes) -> int:
    return int.from_bytes(digest, "big", signed=True)


@functools.lru_cache(maxsize=4)
def _pepper(secret: str) -> bytes:
    return hashlib.blake2b(
        secret.encode(), digest_size=32, person=b"nd-reader"
    ).digest()


def cookie_key(value: str) -> int:
    pepper = _pepper(settings.SECRET_KEY)
    return _to_int(hashlib.blake2b(value.encode(), digest_size=8, key=pepper).digest())


def daily_salt(day: date | None = None) -> bytes:
    """The random salt of `day` (UTC), created on first use and shared by processes."""
    from newsdesk.engagement.models import DailySalt

    day = day or timezone.now().date()
    salt = _salts.get(day)
    if salt is not None:
        return salt
    with _salts_lock:
        row = DailySalt.objects.filter(day=day).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = DailySalt.objects.create(day=day, salt=secrets.token_hex(32))
            except IntegrityError:  # another process won the race
                row = DailySalt.objects.get(day=day)
            # Yesterday's salt is kept for requests straddling midnight only.
            DailySalt.objects.filter(day__lt=day - timedelta(days=1)).delete()
        salt = bytes.fromhex(row.salt)
        _salts.clear()
        _salts[day] = salt
    return salt


def client_ip(request) -> str:
    hops = settings.NEWSDESK_PROXY_HOPS
    if hops:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def ip_key(request) -> int:
    """Keyed hash of the client address alone (per-IP rate limits)."""
    data = client_ip(request).encode()
    return _to_int(
        hashlib.blake2b(data, digest_size=8, key=daily_salt(), person=b"nd-ip").digest()
    )


def address_key(request) -> int:
    """Keyed hash of the client's network: the IPv4 address, or the IPv6 /64
    (one subscriber's prefix, whose addresses a client may rotate at will)."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.version == 6:
            network = str(ipaddress.ip_network(f"{ip}/64", strict=False))
        else:
            network = str(ip)
    return _to_int(
        hashlib.blake2b(
            network.encode(), digest_size=8, key=daily_salt(), person=b"nd-net"
        ).digest()
    )


def ip_ua_key(request) -> int:
    data = f"{client_ip(request)}\n{request.META.get('HTTP_USER_AGENT', '')}".encode()
    return _to_int(
        hashlib.blake2b(
            data, digest_size=8, key=daily_salt(), person=b"nd-ipua"
        ).digest()
    )


def valid_cookie(value: str | None) -> bool:
    return bool(value) and _COOKIE_RE.match(value) is not None


def cookie_reader_key(request) -> int | None:
    """The key of the reader's existing cookie, or None (never issues one)."""
    value = request.COOKIES.get(COOKIE_NAME)
    return cookie_key(value) if valid_cookie(value) else None


def global_privacy_control(request) -> bool:
    """Whether the request carries a Global Privacy Control signal (`Sec-GPC: 1`)."""
    return request.META.get("HTTP_SEC_GPC", "").strip() == "1"


def get_reader(request) -> Reader:
    """The reader of `request`; issues a cookie when there is none.

    Without a cookie the request is keyed by IP + UA, and the new cookie is
    returned as an alias so that the reader's next request (now with the
    cookie) is recognised as the same reader.
    """
    value = request.COOKIES.get(COOKIE_NAME)
    if valid_cookie(value):
        return Reader(key=cookie_key(value))
    new = secrets.token_urlsafe(16)
    return Reader(key=ip_ua_key(request), new_cookie=new, cookie_key=cookie_key(new))


def set_reader_cookie(response, reader: Reader) -> None:
    if reader.new_cookie:
        response.set_cookie(
            COOKIE_NAME,
            reader.new_cookie,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )

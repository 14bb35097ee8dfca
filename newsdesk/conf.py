"""Reading settings from the environment, with errors that say what to fix.

Pure helpers: settings.py calls them once at start-up; nothing else reads os.environ.
`load_plugin` is the one reading of a plug point's setting (a dotted path) at run time.
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 10**9) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a whole number: set it to an integer "
            f"between {minimum} and {maximum}."
        ) from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(
            f"{name}={value} is out of range: use {minimum} to {maximum}."
        )
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def refuse_replaced(replaced: dict[str, str]) -> None:
    """Stop start-up when a setting that no longer exists is set, saying what
    replaced it (a silently ignored setting would look like it worked)."""
    for name, instead in replaced.items():
        if name in os.environ:
            raise ImproperlyConfigured(f"{name} no longer exists: {instead}")


OFF = "off"


def load_plugin(value: str, default=None):
    """The object a plug point's setting names, with one convention everywhere:
    "" is `default` (the built-in, or what the owning app registered), "off"
    is None (the plug point is turned off) and anything else is a dotted path,
    imported (ImportError if it names nothing)."""
    from django.utils.module_loading import import_string

    value = (value or "").strip()
    if not value:
        return default
    if value.lower() == OFF:
        return None
    return import_string(value)


def env_json_object(name: str, default: dict) -> dict:
    """A JSON object (a backend's options), e.g. '{"bucket_name": "media"}'."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            f'{name} is not a JSON object: use e.g. {{"bucket_name": "media"}}.'
        )
    return value


def database_from_url(url: str, *, sqlite_default: str) -> dict:
    """Django DATABASES['default'] from sqlite:///path or postgres://user:pw@host:port/db."""
    if not url:
        url = f"sqlite:///{sqlite_default}"
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(parts.path)[1:]
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or sqlite_default,
            # One connection per server thread for its lifetime: opening the
            # file and running the PRAGMAs below cost ~0.7 ms per request.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # One writer at a time, readers never blocked: WAL; wait instead of
                # failing when another process holds the write lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
                    # Reads straight from the mapped file (no read() per page)
                    # and a larger page cache: random articles of a big site.
                    "PRAGMA mmap_size=1073741824;PRAGMA cache_size=-32768;"
                ),
            },
        }
    if parts.scheme in {"postgres", "postgresql"}:
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,  # a restarted server: one retry, no errors
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"NEWSDESK_DATABASE_URL scheme {parts.scheme!r} is not supported: use "
        "sqlite:///path/to/db.sqlite3 or postgres://user:password@host:port/name."
    )


def cache_from_url(url: str, *, file_default: str) -> dict:
    """Django CACHES['default'] from locmem://, file:///path or redis://host:port/db."""
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": file_default,
        }
    parts = urlsplit(url)
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if parts.scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": unquote(parts.path),
        }
    if parts.scheme in {"redis", "rediss"}:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    raise ImproperlyConfigured(
        f"NEWSDESK_CACHE_URL scheme {parts.scheme!r} is not supported: use locmem://, "
        "file:///path/to/dir or redis://host:port/db."
    )


LOCKOUT_FIELDS = {"ip_address", "username", "user_agent"}


def lockout_parameters(items: list[str]) -> list[str | list[str]]:
    """django-axes AXES_LOCKOUT_PARAMETERS from `ip_address,username+ip_address`.

    Each item is counted on its own; `a+b` counts failures of that combination.
    """
    parameters: list[str | list[str]] = []
    for item in items:
        fields = [f.strip() for f in item.split("+")]
        unknown = [f for f in fields if f not in LOCKOUT_FIELDS]
        if unknown or not fields:
            raise ImproperlyConfigured(
                f"NEWSDESK_LOGIN_LOCKOUT_BY item {item!r} is not valid: use "
                f"{', '.join(sorted(LOCKOUT_FIELDS))} or a+b combinations of them."
            )
        parameters.append(fields[0] if len(fields) == 1 else fields)
    if not parameters:
        raise ImproperlyConfigured(
            "NEWSDESK_LOGIN_LOCKOUT_BY is empty: use ip_address, username or both."
        )
    return parameters

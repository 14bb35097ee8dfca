"""Django settings for newsdesk, read from NEWSDESK_* environment variables.

Every setting is documented in docs/settings.md (a test keeps the two in step).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from newsdesk.conf import (
    cache_from_url,
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_json_object,
    env_list,
    env_str,
    lockout_parameters,
    refuse_replaced,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("NEWSDESK_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_str("NEWSDESK_SECRET_KEY", "")
    if key:
        return key
    # A per-installation key kept beside the data, so sessions survive restarts
    # without anyone having to invent one for a demo.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("NEWSDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("NEWSDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("NEWSDESK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "django_prose_editor",  # the article body editor (static files, no CDN)
    "newsdesk.news",
    "newsdesk.engagement",
    "newsdesk.discovery",
    "newsdesk.ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "newsdesk.urls"
WSGI_APPLICATION = "newsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsdesk.news.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("NEWSDESK_DATABASE_URL", ""),
        sqlite_default=str(DATA_DIR / "newsdesk.sqlite3"),
    )
}
CACHES = {
    "default": cache_from_url(
        env_str("NEWSDESK_CACHE_URL", ""), file_default=str(DATA_DIR / "cache")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    # Uploaded media: this machine's disk (MEDIA_ROOT, served at /media/), or
    # any Django storage when several machines serve the site, e.g. S3 through
    # django-storages (docs/operators.md). Code reaches media only through the
    # storage API.
    "default": {
        "BACKEND": env_str(
            "NEWSDESK_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env_json_object("NEWSDESK_MEDIA_STORAGE_OPTIONS", {}),
    },
    "staticfiles": {
        # Hashed, compressed, cached-forever names once `collectstatic` has run
        # (make demo, deployments); plain names before (newsdesk/static_storage.py).
        "BACKEND": "newsdesk.static_storage.StaticStorage"
    },
}
# Without collectstatic WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("NEWSDESK_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT

# --- security: headers, TLS proxy, login throttling (docs/security.md) ----------
# The TLS-terminating proxy in front says the original request was https; only
# turn this on when that proxy always sets (overwrites) X-Forwarded-Proto.
if env_bool("NEWSDESK_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ... and only from these peers (newsdesk/proxy.py): nginx on this machine.
NEWSDESK_TRUSTED_PROXIES = frozenset(
    env_list("NEWSDESK_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
)
SECURE_HSTS_SECONDS = env_int("NEWSDESK_HSTS_SECONDS", 0, maximum=2 * 365 * 86400)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("NEWSDESK_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("NEWSDESK_HSTS_PRELOAD", False)

INSTALLED_APPS += ["csp", "axes"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1,
    "django_permissions_policy.PermissionsPolicyMiddleware",
)
# Last, so it sees the lockout flag the authentication backend sets.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")

# One policy, the same bytes for every reader (no nonces: public pages are
# cached whole by a CDN), so every script and style is a file from this site.
_CSP_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        # Feeds may carry images hosted elsewhere; allow them only when asked to.
        "img-src": [_CSP_SELF, *env_list("NEWSDESK_CSP_IMG_SRC", [])],
        "object-src": ["'none'"],
        "base-uri": [_CSP_SELF],
        "frame-ancestors": ["'none'"],
        "form-action": [_CSP_SELF],
    }
}
NEWSDESK_CSP_REPORT_URI = env_str("NEWSDESK_CSP_REPORT_URI", "")
if NEWSDESK_CSP_REPORT_URI:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [NEWSDESK_CSP_REPORT_URI]
# Powerful browser features no page of a news site needs, denied to every frame.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "geolocation", "gyroscope", "hid", "idle-detection",
        "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip

# Admin login throttling (django-axes): after NEWSDESK_LOGIN_FAILURE_LIMIT failed
# logins from one address (or for one user name) further attempts are refused,
# even with the right password, until the cool-off has passed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("NEWSDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("NEWSDESK_LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=7 * 1440)
)
AXES_LOCKOUT_PARAMETERS = lockout_parameters(
    env_list("NEWSDESK_LOGIN_LOCKOUT_BY", ["ip_address", "username"])
)
AXES_RESET_ON_SUCCESS = True
# The same client address as the view counters (NEWSDESK_PROXY_HOPS).
AXES_CLIENT_IP_CALLABLE = "newsdesk.engagement.readers.client_ip"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_str("NEWSDESK_LOG_LEVEL", "WARNING"),
    },
}

# --- newsdesk -----------------------------------------------------------------
NEWSDESK_SITE_NAME = env_str("NEWSDESK_SITE_NAME", "newsdesk")
NEWSDESK_SITE_URL = env_str("NEWSDESK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NEWSDESK_SITE_DESCRIPTION = env_str(
    "NEWSDESK_SITE_DESCRIPTION", "News, honestly counted and sensibly related."
)
NEWSDESK_PAGE_SIZE = env_int("NEWSDESK_PAGE_SIZE", 20, minimum=1, maximum=200)
NEWSDESK_BLOCK_SIZE = env_int("NEWSDESK_BLOCK_SIZE", 5, minimum=1, maximum=50)
NEWSDESK_SEARCH_BACKEND = env_str("NEWSDESK_SEARCH_BACKEND", "")
# Bounds on one search's cost (issue 14): ranked results a reader can page
# through, and the time after which a search is interrupted.
NEWSDESK_SEARCH_MAX_RESULTS = env_int(
    "NEWSDESK_SEARCH_MAX_RESULTS", 200, minimum=10, maximum=2000
)
NEWSDESK_SEARCH_TIMEOUT_MS = env_int(
    "NEWSDESK_SEARCH_TIMEOUT_MS", 2000, minimum=50, maximum=60_000
)
# Dotted paths of the list blocks' providers (newsdesk.conf.load_plugin): "" = the
# provider the owning app registered, "off" = the block's built-in list.
NEWSDESK_RELATED_PROVIDER = env_str("NEWSDESK_RELATED_PROVIDER", "")
NEWSDESK_MOST_READ_PROVIDER = env_str("NEWSDESK_MOST_READ_PROVIDER", "")
NEWSDESK_RECOMMENDED_PROVIDER = env_str("NEWSDESK_RECOMMENDED_PROVIDER", "")
# Dotted path of a callable mapping article ids to duplicate-group keys; lists
# then never show two copies of one report. "" = discovery's, "off" = no grouping.
NEWSDESK_DUPLICATE_GROUPS = env_str("NEWSDESK_DUPLICATE_GROUPS", "")
# The reader's history/personalisation page linked from the Recommended block.
NEWSDESK_READER_PAGE_URL = env_str("NEWSDESK_READER_PAGE_URL", "/reader/")
# Page extensions the apps register (news.extensions): keys shown first, in this
# order (the rest follow in registration order), and keys never shown.
refuse_replaced(
    {
        "NEWSDESK_ARTICLE_EXTRAS": "list extension keys in NEWSDESK_ARTICLE_EXTENSIONS "
        "(order) and NEWSDESK_ARTICLE_EXTENSIONS_OFF (hidden); docs/settings.md",
    }
)
NEWSDESK_ARTICLE_EXTENSIONS = env_list("NEWSDESK_ARTICLE_EXTENSIONS", [])
NEWSDESK_ARTICLE_EXTENSIONS_OFF = env_list("NEWSDESK_ARTICLE_EXTENSIONS_OFF", [])
# More sitemap classes (dotted paths) listed in the sitemap index after the built-in
# ones and those apps register (discovery's stories).
NEWSDESK_SITEMAPS = env_list("NEWSDESK_SITEMAPS", [])
# Panels of the newsroom dashboard (the admin's front page), in dotted paths of
# callables (request) -> newsdesk.news.dashboard.Panel.
NEWSDESK_DASHBOARD_PANELS = env_list(
    "NEWSDESK_DASHBOARD_PANELS",
    [
        "newsdesk.engagement.dashboard.views_per_hour",
        "newsdesk.engagement.dashboard.top_last_hour",
        "newsdesk.engagement.dashboard.top_last_day",
        "newsdesk.engagement.dashboard.reactions",
        "newsdesk.discovery.dashboard.returning_readers",
        "newsdesk.news.dashboard.articles_per_day",
        "newsdesk.ingest.dashboard.feed_health",
    ],
)
# Largest image file editors may upload.
NEWSDESK_IMAGE_MAX_BYTES = env_int(
    "NEWSDESK_IMAGE_MAX_BYTES", 20 * 1024 * 1024, minimum=1024, maximum=2**31
)

# --- engagement (views, reactions, most read) ----------------------------------

# Beacons are answered before the rest of the stack (docs/engagement.md).
MIDDLEWARE = ["newsdesk.engagement.middleware.BeaconMiddleware", *MIDDLEWARE]
# Where counted views go; the built-in buffers them in-process (docs/engagement.md).
NEWSDESK_VIEW_COUNTER = env_str(
    "NEWSDESK_VIEW_COUNTER", "newsdesk.engagement.counters.buffered.BufferedCounter"
)
NEWSDESK_VIEW_COUNTER_REDIS_URL = env_str(
    "NEWSDESK_VIEW_COUNTER_REDIS_URL", "redis://127.0.0.1:6379/0"
)
NEWSDESK_VIEW_FLUSH_INTERVAL = env_float(
    "NEWSDESK_VIEW_FLUSH_INTERVAL", 1.0, minimum=0.05
)
NEWSDESK_VIEW_WINDOW_MINUTES = env_int(
    "NEWSDESK_VIEW_WINDOW_MINUTES", 30, minimum=1, maximum=7 * 24 * 60
)
NEWSDESK_VIEW_RETENTION_DAYS = env_int(
    "NEWSDESK_VIEW_RETENTION_DAYS", 90, minimum=31, maximum=3650
)
NEWSDESK_COUNT_STAFF = env_bool("NEWSDESK_COUNT_STAFF", False)
# New views counted per client address (IPv6: /64) per article per window; 0: no cap.
NEWSDESK_VIEW_IP_CAP = env_int("NEWSDESK_VIEW_IP_CAP", 20, maximum=1_000_000)
# Client address = the n-th address from the right of X-Forwarded-For (0: REMOTE_ADDR).
NEWSDESK_PROXY_HOPS = env_int("NEWSDESK_PROXY_HOPS", 0, maximum=5)
# key:emoji:Label, comma-separated, in display order.
NEWSDESK_REACTIONS = env_list(
    "NEWSDESK_REACTIONS",
    [
        "very_good:\N{GRINNING FACE WITH SMILING EYES}:Very good",
        "good:\N{SLIGHTLY SMILING FACE}:Good",
        "meh:\N{NEUTRAL FACE}:Meh",
        "sad:\N{CRYING FACE}:Sad",
        "angry:\N{POUTING FACE}:Angry",
    ],
)
NEWSDESK_REACTION_RATE_READER = env_int(
    "NEWSDESK_REACTION_RATE_READER", 20, minimum=1, maximum=10_000
)
NEWSDESK_REACTION_RATE_IP = env_int(
    "NEWSDESK_REACTION_RATE_IP", 120, minimum=1, maximum=100_000
)
NEWSDESK_MOST_READ_ORDER = env_str("NEWSDESK_MOST_READ_ORDER", "views")
NEWSDESK_TRENDING_GRAVITY = env_float("NEWSDESK_TRENDING_GRAVITY", 1.8, minimum=0.0)

# --- discovery (related, duplicates, recommendations) ----------------------------
# Dotted path of the related engine class; "" = the built-in RelatedEngine.
NEWSDESK_RELATED_ENGINE = env_str("NEWSDESK_RELATED_ENGINE", "")
# How many related articles are stored per article (the block shows fewer).
# Batches of more changed articles than this are indexed by the background
# worker instead of in the request or command that changed them.
NEWSDESK_RELATED_INLINE_MAX = env_int(
    "NEWSDESK_RELATED_INLINE_MAX", 20, minimum=0, maximum=100_000
)
NEWSDESK_RELATED_STORED = env_int("NEWSDESK_RELATED_STORED", 10, minimum=1, maximum=50)
# Personal recommendations (docs/discovery-recommend.md).
NEWSDESK_RECOMMENDER = env_str(
    "NEWSDESK_RECOMMENDER", "newsdesk.discovery.recommend.adapters.EngineRecommender"
)
NEWSDESK_RECOMMEND_WINDOW_HOURS = env_int(
    "NEWSDESK_RECOMMEND_WINDOW_HOURS", 48, minimum=1, maximum=24 * 365
)
NEWSDESK_RECOMMEND_TRENDING = env_int(
    "NEWSDESK_RECOMMEND_TRENDING", 200, minimum=0, maximum=100_000
)
NEWSDESK_RECOMMEND_LOAD_DAYS = env_int(
    "NEWSDESK_RECOMMEND_LOAD_DAYS", 7, minimum=1, maximum=3650
)
NEWSDESK_RECOMMEND_REFRESH_SECONDS = env_float(
    "NEWSDESK_RECOMMEND_REFRESH_SECONDS", 10.0, minimum=0.0
)
# Load and refresh each process's recommender in a background thread (off: in
# the request that needs it).
NEWSDESK_RECOMMEND_BACKGROUND_LOAD = env_bool(
    "NEWSDESK_RECOMMEND_BACKGROUND_LOAD", True
)
NEWSDESK_READING_HISTORY_SIZE = env_int(
    "NEWSDESK_READING_HISTORY_SIZE", 200, minimum=1, maximum=10_000
)
NEWSDESK_READING_HISTORY_DAYS = env_int(
    "NEWSDESK_READING_HISTORY_DAYS", 90, minimum=1, maximum=3650
)

# --- ingest and syndication -------------------------------------------------------
# Fetching feeds (docs/ingest.md). Private and loopback addresses are refused
# unless allowed: a feed URL must never reach the site's own network (SSRF).
NEWSDESK_INGEST_ALLOW_PRIVATE = env_bool("NEWSDESK_INGEST_ALLOW_PRIVATE", False)
# Private networks (CIDR, comma-separated) allowed without allowing them all.
NEWSDESK_INGEST_ALLOW_NETWORKS = env_list("NEWSDESK_INGEST_ALLOW_NETWORKS", [])
NEWSDESK_INGEST_TIMEOUT = env_float("NEWSDESK_INGEST_TIMEOUT", 20.0, minimum=1.0)
NEWSDESK_INGEST_MAX_BYTES = env_int(
    "NEWSDESK_INGEST_MAX_BYTES", 20 * 1024 * 1024, minimum=1024, maximum=2**31
)
NEWSDESK_INGEST_MAX_REDIRECTS = env_int(
    "NEWSDESK_INGEST_MAX_REDIRECTS", 3, minimum=0, maximum=10
)
# Seconds between two requests to the same host, across all feeds.
NEWSDESK_INGEST_HOST_INTERVAL = env_float("NEWSDESK_INGEST_HOST_INTERVAL", 2.0)
NEWSDESK_INGEST_USER_AGENT = env_str(
    "NEWSDESK_INGEST_USER_AGENT",
    "newsdesk-ingest/0.1 (+https://github.com/newsdesk; feed reader)",
)
# Feed items' lead images (docs/ingest.md): fetched through the same guard,
# checked by Pillow, bounded in bytes, pixels, seconds per image and per run.
NEWSDESK_INGEST_IMAGES = env_bool("NEWSDESK_INGEST_IMAGES", True)
NEWSDESK_INGEST_IMAGE_MAX_BYTES = env_int(
    "NEWSDESK_INGEST_IMAGE_MAX_BYTES", 10 * 1024 * 1024, minimum=1024, maximum=2**31
)
NEWSDESK_INGEST_IMAGE_MAX_PIXELS = env_int(
    "NEWSDESK_INGEST_IMAGE_MAX_PIXELS", 25_000_000, minimum=1, maximum=60_000_000
)
NEWSDESK_INGEST_IMAGE_TIMEOUT = env_float(
    "NEWSDESK_INGEST_IMAGE_TIMEOUT", 10.0, minimum=0.1
)
NEWSDESK_INGEST_IMAGE_BUDGET = env_float("NEWSDESK_INGEST_IMAGE_BUDGET", 60.0)
# Dotted path of a near-duplicate index factory; "" = discovery's MinHash index
# when installed, "none" = off.
NEWSDESK_INGEST_DUPLICATES = env_str("NEWSDESK_INGEST_DUPLICATES", "")
# Where robots.txt points crawlers; the sitemap index is served there.
NEWSDESK_SITEMAP_PATH = env_str("NEWSDESK_SITEMAP_PATH", "/sitemap.xml")
# Publisher logo for structured data; "" = a logo drawn from the site name.
NEWSDESK_PUBLISHER_LOGO_URL = env_str("NEWSDESK_PUBLISHER_LOGO_URL", "")
NEWSDESK_FEED_SIZE = env_int("NEWSDESK_FEED_SIZE", 30, minimum=1, maximum=500)
NEWSDESK_API_PAGE_SIZE = env_int("NEWSDESK_API_PAGE_SIZE", 20, minimum=1, maximum=100)

# --- serving (HTTP caching, the page cache, purges) --------------------------------
# Public pages: fresh for max-age seconds in any cache, then served stale while
# one request revalidates, and while the site is down (docs/operators.md).
NEWSDESK_PAGE_MAX_AGE = env_int("NEWSDESK_PAGE_MAX_AGE", 60, maximum=86400)
NEWSDESK_PAGE_STALE_WHILE_REVALIDATE = env_int(
    "NEWSDESK_PAGE_STALE_WHILE_REVALIDATE", 60, maximum=86400
)
NEWSDESK_PAGE_STALE_IF_ERROR = env_int(
    "NEWSDESK_PAGE_STALE_IF_ERROR", 86400, maximum=30 * 86400
)
# The full-page cache (newsdesk.cache): public pages kept as finished responses,
# purged by tag when an article changes. Shared by processes (file cache) or
# hosts (Redis) through its own cache alias; each process keeps a copy it
# trusts for LOCAL_SECONDS before checking the shared one again.
NEWSDESK_PAGE_CACHE = env_bool("NEWSDESK_PAGE_CACHE", True)
_page_cache_url = env_str("NEWSDESK_PAGE_CACHE_URL", "")
CACHES["pages"] = {
    **cache_from_url(
        _page_cache_url or env_str("NEWSDESK_CACHE_URL", ""),
        file_default=str(DATA_DIR / "pagecache"),
    ),
    "KEY_PREFIX": "nd",
}
if CACHES["pages"]["BACKEND"].endswith("LocMemCache"):
    CACHES["pages"]["LOCATION"] = "pages"  # not the default alias's storage
CACHES["pages"]["OPTIONS"] = (
    {} if CACHES["pages"]["BACKEND"].endswith("RedisCache")
    else {"MAX_ENTRIES": 50_000}
)  # fmt: skip
# Block lists that are the same on every page (Latest, Most read) are read once
# per process every so many seconds (and after an article changes here).
NEWSDESK_SHARED_BLOCK_SECONDS = env_float(
    "NEWSDESK_SHARED_BLOCK_SECONDS", 10.0, minimum=0.0
)
NEWSDESK_PAGE_CACHE_LOCAL_SECONDS = env_float(
    "NEWSDESK_PAGE_CACHE_LOCAL_SECONDS", 1.0, minimum=0.0
)
NEWSDESK_PAGE_CACHE_LOCAL_BYTES = env_int(
    "NEWSDESK_PAGE_CACHE_LOCAL_BYTES", 64 * 1024 * 1024, maximum=2**40
)
# Where purges go beyond newsdesk's own cache: a PurgeBackend class (dotted
# path), e.g. newsdesk.cache.purge.HttpBanPurger with the proxies' base URLs.
NEWSDESK_PURGE_BACKEND = env_str("NEWSDESK_PURGE_BACKEND", "")
NEWSDESK_PURGE_URLS = env_list("NEWSDESK_PURGE_URLS", [])
# ETag, Last-Modified and 304s for public pages, and the page cache's hits and
# stores. First: it sees the headers every other layer added.
MIDDLEWARE = [
    "newsdesk.proxy.ForwardedProtoMiddleware",  # before the cache key is made
    "newsdesk.cache.middleware.PageCacheMiddleware",
    *MIDDLEWARE,
]
INSTALLED_APPS = [*INSTALLED_APPS, "newsdesk.cache"]

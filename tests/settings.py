"""Test settings: the real settings, a private data folder, an in-memory cache.

NEWSDESK_TEST_DATABASE_URL runs the same tests on another database (CI runs the
page tests on PostgreSQL this way).
"""

import os
import tempfile

os.environ.setdefault(
    "NEWSDESK_DATA_DIR",
    os.path.join(tempfile.gettempdir(), f"newsdesk-test-{os.getuid()}"),
)
os.environ.setdefault("NEWSDESK_CACHE_URL", "locmem://")
if os.environ.get("NEWSDESK_TEST_DATABASE_URL"):
    os.environ["NEWSDESK_DATABASE_URL"] = os.environ["NEWSDESK_TEST_DATABASE_URL"]

from newsdesk.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only

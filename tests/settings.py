"""Test settings: the real settings, a private data folder, an in-memory cache."""

import os
import tempfile

os.environ.setdefault(
    "NEWSDESK_DATA_DIR",
    os.path.join(tempfile.gettempdir(), f"newsdesk-test-{os.getuid()}"),
)
os.environ.setdefault("NEWSDESK_CACHE_URL", "locmem://")

from newsdesk.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only

"""Test settings: the real settings, a private data folder, an in-memory cache.

NEWSDESK_TEST_DATABASE_URL runs the same tests on another database (CI runs the
page tests on PostgreSQL this way).
"""

import atexit
import os
import shutil
import tempfile

if not os.environ.get("NEWSDESK_DATA_DIR"):
    # A fresh data folder per test run: no test may depend on what an earlier
    # run (or another checkout on the same machine) left behind. Subprocesses
    # started by the tests inherit it through the environment.
    _data_dir = tempfile.mkdtemp(prefix="newsdesk-test-")
    os.environ["NEWSDESK_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ.setdefault("NEWSDESK_CACHE_URL", "locmem://")
if os.environ.get("NEWSDESK_TEST_DATABASE_URL"):
    os.environ["NEWSDESK_DATABASE_URL"] = os.environ["NEWSDESK_TEST_DATABASE_URL"]

from newsdesk.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
# Off by default: most tests change content inside a transaction that is rolled
# back (no article_changed, so no purge); the serving tests turn it on.
NEWSDESK_PAGE_CACHE = False
# Tests add articles inside rolled-back transactions (no article_changed): the
# shared block lists are asked afresh every time (tests/test_serving.py turns
# the per-process copy on).
NEWSDESK_SHARED_BLOCK_SECONDS = 0.0

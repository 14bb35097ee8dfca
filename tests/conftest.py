from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.content_fixtures"]

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(
    os.environ.get("NEWSDESK_SHARED_DATA", REPO.parent / "shared" / "data")
).resolve()


@pytest.fixture(scope="session")
def shared_data():
    """The research data sets (../shared/data); they are never bundled with newsdesk."""

    def get(name: str) -> Path:
        path = SHARED_DATA / name
        if not path.exists():
            pytest.skip(
                f"{path} is absent: put the shared data sets there or set "
                "NEWSDESK_SHARED_DATA to their folder"
            )
        return path

    return get


def require(available: bool, reason: str) -> None:
    """Skip when a local tool is missing; in CI (CI=true) that is a failure instead,
    because .ci/run installs every tool and a skip there would hide a broken set-up."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture
def index_in_tmp(settings, tmp_path):
    """A related (and story) index of the test's own: saved in its own data
    folder, none loaded by an earlier test of this process before or after."""
    from newsdesk.discovery.related import index as related_index

    settings.DATA_DIR = tmp_path
    related_index._cache.clear()
    yield
    related_index._cache.clear()


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Per-process copies (the section tree, shared block lists, Django's
    content types) never outlive a test's rollback. A transactional test
    flushes the database and post_migrate makes the content types again under
    new ids, while Django's in-process cache would still hand out the old ones
    (an admin log row then points at a missing content type)."""
    from django.contrib.contenttypes.models import ContentType

    from newsdesk.news.blocks import forget_shared_lists
    from newsdesk.news.selectors import forget_categories

    forget_categories()
    forget_shared_lists()
    ContentType.objects.clear_cache()
    yield
    forget_categories()
    forget_shared_lists()
    ContentType.objects.clear_cache()

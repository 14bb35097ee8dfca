"""`python -m newsdesk doctor`: exit 0 only when healthy, and say what to fix."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from newsdesk.discovery.related import index as related_index
from newsdesk.news.models import Article
from tests.conftest import REPO

FTS_CREATE = importlib.import_module("newsdesk.news.migrations.0002_search_fts").CREATE


def doctor(**options) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("doctor", stdout=out, **options)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def cli(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("NEWSDESK_DATABASE_URL", None)
    env.update(env_overrides)  # the real settings, as an operator
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.django_db
def test_a_fresh_installation_is_healthy():
    code, out = doctor()
    assert code == 0, out
    for part in ("database:", "cache:", "search:", "worker:", "related:", "media:"):
        assert part in out
    assert out.rstrip().endswith("Healthy.")


@pytest.mark.django_db
def test_a_waiting_task_without_worker_is_an_error():
    from newsdesk.discovery.tasks import index_articles

    result = index_articles.enqueue([1])
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=result.id).update(
        run_after=timezone.now() - timedelta(minutes=30)
    )
    code, out = doctor()
    assert code == 1
    assert "No background worker is running: 1 task(s) waiting" in out
    assert "db_worker" in out


@pytest.mark.django_db
def test_stale_related_index_is_reported_and_rebuild_fixes_it(tree, make_article):
    # Outside a committed transaction the on-commit indexing never ran, as when
    # a scheduled article goes live on its own or the worker is down.
    article = make_article(tree["world"])
    Article.objects.filter(pk=article.pk).update(
        modified_at=timezone.now() - timedelta(hours=1)
    )
    code, out = doctor()
    assert code == 1
    assert "related-articles index is behind: 1 live article(s)" in out
    assert "discovery rebuild" in out
    related_index.rebuild()
    code, out = doctor()
    assert code == 0, out


@pytest.mark.django_db
def test_a_broken_search_index_is_reported(tree, make_article):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 index exists on SQLite only")
    make_article(tree["world"], headline="Searchable headline")
    with connection.cursor() as cursor:
        # Writes behind the triggers' back: the index no longer matches.
        cursor.execute("DROP TRIGGER news_article_fts_au")
        cursor.execute("UPDATE news_article SET headline = 'Changed behind its back'")
    code, out = doctor()
    assert code == 1
    assert "news_article_fts_au are missing" in out
    trigger = next(sql for sql in FTS_CREATE if "news_article_fts_au" in sql)
    with connection.cursor() as cursor:
        cursor.execute(trigger)
    code, out = doctor()
    assert code == 1
    assert "search index does not match the articles" in out


@pytest.mark.django_db
def test_unwritable_media_storage_is_an_error(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = str(blocker / "media")
    code, out = doctor()
    assert code == 1
    assert "Uploaded images cannot be stored" in out
    assert "writable" in out


@pytest.mark.django_db
def test_debug_mode_warns_but_strict_fails(settings):
    settings.DEBUG = True
    code, out = doctor()
    assert code == 0 and "Debug mode is on" in out
    code, out = doctor(strict=True)
    assert code == 1


@pytest.mark.slow
def test_cli_exit_codes_on_a_real_installation(tmp_path):
    env = {"NEWSDESK_DATA_DIR": str(tmp_path), "NEWSDESK_CACHE_URL": "locmem://"}
    unmigrated = cli(env, "doctor")
    assert unmigrated.returncode == 1
    assert "not applied" in unmigrated.stdout and "migrate" in unmigrated.stdout

    assert cli(env, "migrate", "--noinput", "-v0").returncode == 0
    healthy = cli(env, "doctor")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "Healthy." in healthy.stdout

    broken = cli(
        {**env, "NEWSDESK_DATABASE_URL": "postgres://nobody:pw@127.0.0.1:9/none"},
        "doctor",
    )
    assert broken.returncode == 1
    assert "The database cannot be reached" in broken.stdout
    assert "NEWSDESK_DATABASE_URL" in broken.stdout

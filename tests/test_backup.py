"""`backup` then `restore` gives back the same database and media, on SQLite and
PostgreSQL, through the real CLI (as an operator runs it)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import REPO, require

pytestmark = pytest.mark.slow

SEED = """
from newsdesk.news import actions
from newsdesk.news.models import Article, Category
from django.core.files.storage import default_storage
from django.core.files.base import ContentFile
world = actions.do_save_category(Category(name="World", slug="world"))
for n in range(3):
    actions.do_save_article(Article(headline=f"Kept story {n}", category=world,
        body="<p>Before the backup.</p>", status="published"))
default_storage.save("lead/2026/01/photo.jpg", ContentFile(b"original bytes"))
"""
MUTATE = """
from newsdesk.news import actions
from newsdesk.news.models import Article, Category
from django.core.files.storage import default_storage
from django.core.files.base import ContentFile
Article.objects.filter(headline="Kept story 0").delete()
Article.objects.filter(headline="Kept story 1").update(headline="Edited after")
actions.do_save_article(Article(headline="Written after the backup",
    category=Category.objects.get(slug="world"), status="published"))
default_storage.delete("lead/2026/01/photo.jpg")
default_storage.save("lead/2026/01/later.jpg", ContentFile(b"later"))
"""
STATE = """
import json
from newsdesk.news.models import Article
from django.core.files.storage import default_storage
print(json.dumps({
    "headlines": sorted(Article.objects.values_list("headline", flat=True)),
    "photo": default_storage.exists("lead/2026/01/photo.jpg")
        and default_storage.open("lead/2026/01/photo.jpg").read().decode(),
    "later": default_storage.exists("lead/2026/01/later.jpg"),
}))
"""


def newsdesk(env: dict, *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    full.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result


def ok(env: dict, *args: str) -> str:
    result = newsdesk(env, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def state(env: dict) -> dict:
    return json.loads(ok(env, "shell", "-c", STATE).strip().splitlines()[-1])


def round_trip(env: dict, tmp_path: Path) -> Path:
    ok(env, "migrate", "--noinput", "-v0")
    ok(env, "shell", "-c", SEED)
    before = state(env)
    assert before["photo"] == "original bytes"
    archive = tmp_path / "backup.tar"
    result = newsdesk(env, "backup", "--output", str(archive))
    assert result.returncode == 0, result.stderr
    assert f"Backup written: {archive}" in result.stdout
    # Not a terminal here: plain progress lines, no carriage-return bar.
    assert "archive: done" in result.stderr and "\r" not in result.stderr

    ok(env, "shell", "-c", MUTATE)
    assert state(env) != before

    refused = newsdesk(env, "restore", str(archive))
    assert refused.returncode != 0 and "--noinput" in refused.stderr
    result = newsdesk(env, "restore", "--noinput", str(archive))
    assert result.returncode == 0, result.stderr
    assert "Restored the backup" in result.stdout
    assert state(env) == before
    assert before["headlines"] == ["Kept story 0", "Kept story 1", "Kept story 2"]
    return archive


def test_sqlite_round_trip(tmp_path):
    env = {
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDESK_DATABASE_URL": "",
        "NEWSDESK_CACHE_URL": "locmem://",
    }
    archive = round_trip(env, tmp_path)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["engine"] == "sqlite" and manifest["media_files"] == 1
    assert {"manifest.json", "database.sqlite3", "media/lead/2026/01/photo.jpg"} <= {
        *names
    }

    # A hostile archive (a member escaping the media folder) is refused whole.
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("database.sqlite3", (tmp_path / "data" / "newsdesk.sqlite3").read_bytes()),
            ("media/../../escaped.txt", b"x"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = newsdesk(env, "restore", "--noinput", str(evil))
    assert result.returncode != 0
    assert "cannot be restored" in result.stderr
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "data" / "escaped.txt").exists()

    not_a_backup = tmp_path / "notes.tar"
    not_a_backup.write_bytes(b"hello")
    result = newsdesk(env, "restore", "--noinput", str(not_a_backup))
    assert result.returncode != 0 and "is not a newsdesk backup" in result.stderr


@pytest.fixture
def postgres_database():
    url = os.environ.get("NEWSDESK_TEST_POSTGRES_URL", "")
    require(bool(url), "NEWSDESK_TEST_POSTGRES_URL is not set (CI sets it)")
    import psycopg

    name = f"newsdesk_backup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        url.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    yield urlunsplit(parts._replace(path="/" + name))
    with psycopg.connect(
        url.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_round_trip(tmp_path, postgres_database):
    env = {
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDESK_DATABASE_URL": postgres_database,
        "NEWSDESK_CACHE_URL": "locmem://",
    }
    archive = round_trip(env, tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert "database.dump" in tar.getnames()
    assert manifest["engine"] == "postgresql"

    # A PostgreSQL backup is not restored into SQLite (and vice versa).
    sqlite_env = {
        **env,
        "NEWSDESK_DATABASE_URL": "",
        "NEWSDESK_DATA_DIR": str(tmp_path / "other"),
    }
    ok(sqlite_env, "migrate", "--noinput", "-v0")
    result = newsdesk(sqlite_env, "restore", "--noinput", str(archive))
    assert result.returncode != 0
    assert "backup is of a postgresql database" in result.stderr

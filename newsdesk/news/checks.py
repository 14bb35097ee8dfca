"""Health checks of a running installation, for `python -m newsdesk doctor`.

They are Django system checks tagged "doctor" in a registry of their own, so
that only `doctor` runs them: `migrate`, `runserver`, `check --deploy` and the
tests never do (they touch the database, the cache and the disk, and an
unmigrated database is what `migrate` is for).
Each app registers the checks of what it owns (discovery: the related index).
Every problem is an Error or Warning whose hint says what to do; a check that
passes returns an Info saying what it found, so the report shows what was
looked at, not only what failed.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.core.checks.registry import CheckRegistry
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

TAG = "doctor"
# A task that should have run this long ago and has not means no worker runs.
WORKER_GRACE = timedelta(minutes=5)
RUNNING_TOO_LONG = timedelta(hours=2)
# The well-known key of a fresh checkout's example settings; never in production.
WEAK_KEY_PREFIX = "django-insecure"


registry = CheckRegistry()


def doctor_check(func):
    return registry.register(func, TAG)


def database_ready() -> bool:
    """Reachable and migrated; otherwise check_database says what to do and the
    checks that read tables stay silent."""
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return False


@doctor_check
def check_configuration(app_configs=None, **kwargs):
    found = []
    if settings.DEBUG:
        found.append(
            checks.Warning(
                "Debug mode is on: error pages show settings and code to anyone.",
                hint="Unset NEWSDESK_DEBUG (or set it to 0) outside development.",
                id="doctor.W001",
            )
        )
    key = settings.SECRET_KEY or ""
    if len(key) < 32 or key.startswith(WEAK_KEY_PREFIX):
        found.append(
            checks.Error(
                "The secret key is short or a well-known example.",
                hint="Set NEWSDESK_SECRET_KEY to 50 random characters, or unset it "
                "to use the key generated in the data folder.",
                id="doctor.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        found.append(
            checks.Error(
                "No host name is allowed: every request would be refused.",
                hint="Set NEWSDESK_ALLOWED_HOSTS, e.g. news.example.com.",
                id="doctor.E002",
            )
        )
    data_dir = Path(settings.DATA_DIR)
    if not data_dir.is_dir():
        found.append(
            checks.Error(
                f"The data folder {data_dir} does not exist.",
                hint="Create it or point NEWSDESK_DATA_DIR at an existing folder.",
                id="doctor.E003",
            )
        )
    if not found:
        found.append(
            checks.Info(
                f"configuration: site {settings.NEWSDESK_SITE_URL}, data in {data_dir}",
                id="doctor.I001",
            )
        )
    return found


@doctor_check
def check_database(app_configs=None, **kwargs):
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return [
            checks.Error(
                f"The database cannot be reached: {exc}".strip(),
                hint="Check NEWSDESK_DATABASE_URL (host, port, name, password) and "
                "that the database server is running.",
                id="doctor.E010",
            )
        ]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return [
            checks.Error(
                f"{len(plan)} database migration(s) not applied ({names}).",
                hint="Run `python -m newsdesk migrate`.",
                id="doctor.E011",
            )
        ]
    return [
        checks.Info(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
            "migrations applied",
            id="doctor.I010",
        )
    ]


@doctor_check
def check_cache(app_configs=None, **kwargs):
    key = f"newsdesk:doctor:{uuid.uuid4().hex}"
    cache = caches["default"]
    try:
        cache.set(key, "ok", timeout=30)
        value = cache.get(key)
        cache.delete(key)
    except Exception as exc:  # any backend error (Redis down, disk full...)
        value = None
        detail = f": {exc}"
    else:
        detail = ""
    if value != "ok":
        return [
            checks.Error(
                f"The cache does not keep what is stored in it{detail}.",
                hint="Check NEWSDESK_CACHE_URL: the Redis server must be running, "
                "a file cache folder must be writable.",
                id="doctor.E020",
            )
        ]
    backend = type(cache).__name__
    return [checks.Info(f"cache: {backend} stores and reads", id="doctor.I020")]


FTS_TRIGGERS = {"news_article_fts_ai", "news_article_fts_ad", "news_article_fts_au"}


@doctor_check
def check_search_index(app_configs=None, **kwargs):
    from newsdesk.news.search import get_search_backend
    from newsdesk.news.search.sqlite import SqliteFtsBackend

    if not database_ready():
        return []
    backend = get_search_backend()
    if not isinstance(backend, SqliteFtsBackend):
        return [
            checks.Info(
                f"search: {type(backend).__name__}; its index is kept in step "
                "by the database itself (not checked here)",
                id="doctor.I030",
            )
        ]
    fix = (
        "Rebuild it: python -m newsdesk dbshell, then "
        "INSERT INTO news_article_fts(news_article_fts) VALUES ('rebuild');"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE "
            "'news_article_fts_%'"
        )
        triggers = {row[0] for row in cursor.fetchall()}
        if FTS_TRIGGERS - triggers:
            return [
                checks.Error(
                    "The search index is no longer kept up to date: triggers "
                    f"{', '.join(sorted(FTS_TRIGGERS - triggers))} are missing.",
                    hint="Recreate them with `python -m newsdesk migrate news 0001` "
                    "then `python -m newsdesk migrate` (re-runs the search "
                    "migration).",
                    id="doctor.E030",
                )
            ]
        try:
            # Compares every index entry with the article rows it was made from.
            cursor.execute(
                "INSERT INTO news_article_fts(news_article_fts, rank) "
                "VALUES ('integrity-check', 1)"
            )
        except (DatabaseError, sqlite3.DatabaseError):
            return [
                checks.Error(
                    "The search index does not match the articles (searches miss "
                    "or show the wrong articles).",
                    hint=fix,
                    id="doctor.E031",
                )
            ]
    return [
        checks.Info("search: SQLite FTS5 index matches the articles", id="doctor.I031")
    ]


@doctor_check
def check_worker(app_configs=None, **kwargs):
    if not database_ready():
        return []
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    try:
        waiting = DBTaskResult.objects.filter(
            status="READY", run_after__lte=now - WORKER_GRACE
        )
        overdue = waiting.count()
        stuck = DBTaskResult.objects.filter(
            status="RUNNING", started_at__lte=now - RUNNING_TOO_LONG
        ).count()
        last = (
            DBTaskResult.objects.filter(finished_at__isnull=False)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
    except DatabaseError:
        return []  # no tables yet: check_database reports the migrations
    found = []
    if overdue:
        oldest = waiting.order_by("run_after").values_list("run_after", flat=True)[0]
        found.append(
            checks.Error(
                f"No background worker is running: {overdue} task(s) waiting since "
                f"{oldest:%Y-%m-%d %H:%M} UTC (feed polls, related indexing).",
                hint="Start `python -m newsdesk db_worker` as a service (or serve "
                "with --with-worker).",
                id="doctor.E040",
            )
        )
    if stuck:
        found.append(
            checks.Warning(
                f"{stuck} task(s) have been running for over "
                f"{RUNNING_TOO_LONG.total_seconds() / 3600:.0f} h.",
                hint="A worker may have died mid-task: restart db_worker; see the "
                "Task results in the admin.",
                id="doctor.W041",
            )
        )
    if not found:
        when = f"last task finished {last:%Y-%m-%d %H:%M} UTC" if last else "idle"
        found.append(checks.Info(f"worker: no task overdue ({when})", id="doctor.I040"))
    return found


@doctor_check
def check_static_manifest(app_configs=None, **kwargs):
    from django.contrib.staticfiles.finders import get_finders

    root = Path(settings.STATIC_ROOT)
    manifest = root / "staticfiles.json"
    if not manifest.exists():
        level = checks.Info if settings.DEBUG else checks.Warning
        collected = root.is_dir() and any(root.iterdir())
        return [
            level(
                "Static files are collected without a manifest, so without hashed "
                "names or long cache lifetimes."
                if collected
                else "Static files are not collected: they are served from the "
                "source folders, without hashed names or long cache lifetimes.",
                hint="Run `python -m newsdesk collectstatic --noinput` after every "
                "upgrade, then restart.",
                id="doctor.W050",
            )
        ]
    try:
        paths = set(json.loads(manifest.read_text())["paths"])
    except (OSError, ValueError, KeyError):
        return [
            checks.Error(
                f"{manifest} is unreadable.",
                hint="Run `python -m newsdesk collectstatic --noinput --clear`.",
                id="doctor.E051",
            )
        ]
    sources = {
        path.replace("\\", "/")
        for finder in get_finders()
        for path, _storage in finder.list(["CVS", ".*", "*~"])
    }
    missing = sorted(sources - paths)
    if missing:
        return [
            checks.Error(
                f"{len(missing)} static file(s) are not in the collected manifest "
                f"(e.g. {missing[0]}): pages referring to them fail.",
                hint="Run `python -m newsdesk collectstatic --noinput`, then restart.",
                id="doctor.E052",
            )
        ]
    return [
        checks.Info(
            f"static: {len(paths)} files collected and hashed", id="doctor.I050"
        )
    ]


@doctor_check
def check_media_storage(app_configs=None, **kwargs):
    name = f"doctor-check-{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        with default_storage.open(saved) as handle:
            ok = handle.read() == b"ok"
        default_storage.delete(saved)
    except Exception as exc:  # any storage backend error
        ok, detail = False, f": {exc}"
    else:
        detail = ""
    where = (
        str(default_storage.location)
        if isinstance(default_storage, FileSystemStorage)
        else type(default_storage).__name__
    )
    if not ok:
        return [
            checks.Error(
                f"Uploaded images cannot be stored in {where}{detail}.",
                hint="Make the media folder writable by the site's user (it is "
                "NEWSDESK_DATA_DIR/media), or fix the storage backend's settings.",
                id="doctor.E060",
            )
        ]
    return [checks.Info(f"media: {where} is writable", id="doctor.I060")]

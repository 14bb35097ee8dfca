"""Backups of the database and uploaded media, as one tar archive.

The archive holds `manifest.json` (format, database engine, time), the database
(`database.sqlite3`: a copy made with SQLite's online backup API, consistent
while the site keeps writing; or `database.dump`: `pg_dump --format=custom`)
and `media/` (uploads, when they are stored on this machine's disk).

Restoring checks the manifest against the configured database, replaces the
database through the same tools (the backup API in reverse; `pg_restore
--clean` in one transaction) and swaps the media folder in whole. Derived data
(caches) is not archived; the related-articles index is a table, archived with
the rows it describes.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.dump"
MEDIA_PREFIX = "media/"

Progress = Callable[..., Any]  # newsdesk.news.progress.progress
Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    engine: str
    database_bytes: int
    media_files: int


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups of {vendor} databases are not supported")
    return vendor


def _media_root() -> Path | None:
    """The media folder when uploads are on this machine's disk, else None."""
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.location)
    return None


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env, [*args, "--dbname", str(db["NAME"])]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) of the server's version "
            "or newer."
        )
    return path


def _run_pg(argv: list[str], *, env: dict, steps: int, progress: Progress, desc: str):
    """Run pg_dump/pg_restore --verbose, one progress step per table line."""
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        argv, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert proc.stderr is not None
    tail: list[str] = []
    bar = progress(desc=desc, total=max(steps, 1), unit="table")
    for line in proc.stderr:
        tail = [*tail[-19:], line.rstrip()]
        if "table data" in line or "contents of table" in line:
            bar.update(1)
    bar.close()
    if proc.wait() != 0:
        detail = "\n".join(t for t in tail if "error" in t.lower()) or tail[-1:]
        raise BackupError(f"{Path(argv[0]).name} failed: {detail}")


def _table_count() -> int:
    with connection.cursor() as cursor:
        return len(connection.introspection.table_names(cursor))


def _dump_database(workdir: Path, engine: str, progress: Progress, say: Say) -> Path:
    if engine == "sqlite":
        target = workdir / SQLITE_MEMBER
        connection.ensure_connection()
        source = connection.connection
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1): a stepwise copy restarts whenever another
            # process writes, which on a busy site (view counts flush every
            # second) could never finish. WAL keeps writers going meanwhile.
            source.backup(copy, pages=-1)
            ok = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
        if ok != "ok":
            raise BackupError(f"the database copy failed its check: {ok}")
        say(f"database: copied {target.stat().st_size / 1e6:.1f} MB (SQLite)")
        return target
    target = workdir / PG_MEMBER
    env, args = _pg_env_and_args()
    argv = [
        _tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
        "--verbose", "--file", str(target), *args,
    ]  # fmt: skip
    _run_pg(argv, env=env, steps=_table_count(), progress=progress, desc="pg_dump")
    say(f"database: dumped {target.stat().st_size / 1e6:.1f} MB (pg_dump)")
    return target


def create_backup(
    output: Path, *, include_media: bool = True, progress: Progress, say: Say
) -> BackupResult:
    engine = _engine()
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = _media_root() if include_media else None
    media_files = (
        sorted(p for p in media_root.rglob("*") if p.is_file())
        if media_root is not None and media_root.is_dir()
        else []
    )
    if include_media and _media_root() is None:
        say(
            "media: stored by "
            f"{type(default_storage).__name__}, not on this machine: back it up "
            "where it is stored"
        )
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        workdir = Path(tmp)
        database = _dump_database(workdir, engine, progress, say)
        database_bytes = database.stat().st_size
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": database.name,
            "media_files": len(media_files),
        }
        (workdir / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = workdir / "archive.tar"
        total = database.stat().st_size + sum(p.stat().st_size for p in media_files)
        bar = progress(desc="archive", total=total, unit="B")
        with tarfile.open(partial, "w") as tar:
            tar.add(workdir / MANIFEST, arcname=MANIFEST)
            tar.add(database, arcname=database.name)
            bar.update(database.stat().st_size)
            for path in media_files:
                assert media_root is not None
                arcname = MEDIA_PREFIX + path.relative_to(media_root).as_posix()
                tar.add(path, arcname=arcname, recursive=False)
                bar.update(path.stat().st_size)
        bar.close()
        os.replace(partial, output)  # never a half-written archive at `output`
    return BackupResult(
        path=output,
        engine=engine,
        database_bytes=database_bytes,
        media_files=len(media_files),
    )


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(member.read(65536))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive} is not a newsdesk backup ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: unknown backup format {manifest!r:.80}")
    return manifest


def restore_backup(
    archive: Path, *, include_media: bool = True, progress: Progress, say: Say
) -> dict:
    try:
        return _restore(
            archive, include_media=include_media, progress=progress, say=say
        )
    except tarfile.TarError as exc:  # damaged archive, or a member escaping its folder
        raise BackupError(f"{archive} cannot be restored: {exc}") from None


def _restore(
    archive: Path, *, include_media: bool, progress: Progress, say: Say
) -> dict:
    manifest = read_manifest(archive)
    engine = _engine()
    if manifest.get("engine") != engine:
        raise BackupError(
            f"this backup is of a {manifest.get('engine')} database but the "
            f"configured database is {engine}: set NEWSDESK_DATABASE_URL to a "
            f"{manifest.get('engine')} database to restore it"
        )
    member = SQLITE_MEMBER if engine == "sqlite" else PG_MEMBER
    data_dir = Path(settings.DATA_DIR)
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp, tarfile.open(archive) as tar:
        workdir = Path(tmp)
        try:
            tar.extract(member, workdir, filter="data")
        except KeyError:
            raise BackupError(f"{archive} holds no {member}") from None
        database = workdir / member
        if engine == "sqlite":
            _restore_sqlite(database, say)
        else:
            env, args = _pg_env_and_args()
            argv = [
                _tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                "--no-privileges", "--single-transaction", "--exit-on-error",
                "--verbose", *args, str(database),
            ]  # fmt: skip
            connection.close()
            tables = _count_dump_tables(database)
            _run_pg(argv, env=env, steps=tables, progress=progress, desc="pg_restore")
            say("database: restored with pg_restore")
        media_root = _media_root()
        if include_media and media_root is not None:
            _restore_media(tar, media_root, workdir, progress, say)
    return manifest


def _count_dump_tables(dump: Path) -> int:
    listing = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [_tool("pg_restore"), "--list", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    return sum(" TABLE DATA " in line for line in listing.stdout.splitlines())


def _restore_sqlite(database: Path, say: Say) -> None:
    source = sqlite3.connect(database)
    try:
        ok = source.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the backed-up database is damaged: {ok}")
        connection.close()
        target = sqlite3.connect(connection.settings_dict["NAME"], timeout=60)
        try:
            # The backup API in reverse: the live file is replaced page by page
            # under SQLite's own locking, so running processes see either the
            # old or the restored database, never a mix.
            source.backup(target, pages=-1)
        finally:
            target.close()
    finally:
        source.close()
    say("database: restored (SQLite)")


def _restore_media(
    tar: tarfile.TarFile, media_root: Path, workdir: Path, progress: Progress, say: Say
) -> None:
    members = [
        m for m in tar.getmembers() if m.name.startswith(MEDIA_PREFIX) and m.isfile()
    ]
    staging = workdir / "media"
    staging.mkdir()
    for member in progress(members, desc="media", unit="file"):
        member.name = member.name[len(MEDIA_PREFIX) :]
        tar.extract(member, staging, filter="data")  # refuses ../ and absolute paths
    media_root.parent.mkdir(parents=True, exist_ok=True)
    old = media_root.with_name(media_root.name + ".before-restore")
    if old.exists():
        shutil.rmtree(old)
    if media_root.exists():
        os.replace(media_root, old)
    shutil.move(str(staging), str(media_root))
    shutil.rmtree(old, ignore_errors=True)
    say(f"media: {len(members)} file(s) restored")

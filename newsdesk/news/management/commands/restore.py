"""`python -m newsdesk restore ARCHIVE`: put back what `backup` saved."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from newsdesk.news.backup import BackupError, read_manifest, restore_backup
from newsdesk.news.progress import progress


class Command(BaseCommand):
    help = (
        "Replace the database and uploaded media with those of a backup archive "
        "made by `backup` (same database engine)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="A .tar archive written by `backup`.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_true",
            help="Do not ask for confirmation (scripts).",
        )
        parser.add_argument(
            "--no-media", action="store_true", help="Leave the media folder as is."
        )

    def handle(self, *args, archive, noinput, no_media, **options):
        path = Path(archive).expanduser().resolve()
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        quiet = options["verbosity"] == 0
        try:
            manifest = read_manifest(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not noinput:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Restoring replaces the current database: pass --noinput to "
                    "confirm when not on a terminal."
                )
            answer = input(
                f"Replace the current database{'' if no_media else ' and media'} "
                f"with the backup of {manifest.get('created_at')}? Type 'yes': "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")

        def bar(iterable=None, **kw):
            return progress(iterable, file=self.stderr, disable=quiet, **kw)

        def say(text: str) -> None:
            if not quiet:
                self.stderr.write(text)

        try:
            restore_backup(path, include_media=not no_media, progress=bar, say=say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        cache.clear()  # cached pages and rankings describe the replaced database
        self.stdout.write(
            f"Restored the backup of {manifest.get('created_at')}. Next: "
            "`python -m newsdesk migrate`, `python -m newsdesk discovery rebuild` "
            "(the related index is rebuilt, not archived), then "
            "`python -m newsdesk doctor`."
        )

"""`python -m newsdesk backup`: the database and uploaded media in one archive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsdesk.news.backup import BackupError, create_backup
from newsdesk.news.progress import progress


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup API, or pg_dump) and the "
        "uploaded media into one .tar archive; safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="Archive to write (default: NEWSDESK_DATA_DIR/backups/"
            "newsdesk-YYYYMMDD-HHMMSS.tar).",
        )
        parser.add_argument(
            "--no-media", action="store_true", help="Leave uploaded media out."
        )

    def handle(self, *args, output, no_media, **options):
        if output:
            path = Path(output).expanduser().resolve()
        else:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            path = Path(settings.DATA_DIR) / "backups" / f"newsdesk-{stamp}.tar"
        if path.exists():
            raise CommandError(f"{path} exists: choose another --output.")
        quiet = options["verbosity"] == 0

        def bar(iterable=None, **kw):
            return progress(iterable, file=self.stderr, disable=quiet, **kw)

        def say(text: str) -> None:
            if not quiet:
                self.stderr.write(text)

        try:
            result = create_backup(
                path, include_media=not no_media, progress=bar, say=say
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written: {result.path} ({result.engine}, "
            f"{result.media_files} media file(s))."
        )

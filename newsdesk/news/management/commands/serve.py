"""`python -m newsdesk serve`: the production server (granian, WSGI) on this machine."""

from __future__ import annotations

import os
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Serve newsdesk with granian (multi-process WSGI); static files via WhiteNoise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Worker processes (default: one per core).",
        )

    def handle(self, *args, host, port, workers, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a TCP port (1-65535).")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        granian = shutil.which("granian", path=os.path.dirname(sys.executable))
        if granian is None:
            raise CommandError("granian is not installed: run `pip install -e .`.")
        argv = [
            granian, "--interface", "wsgi", "--host", host, "--port", str(port),
            "--workers", str(workers), "--no-ws", "newsdesk.wsgi:application",
        ]  # fmt: skip
        self.stdout.write(f"newsdesk: http://{host}:{port}/ ({workers} workers)")
        sys.stdout.flush()
        os.execv(granian, argv)  # noqa: S606 - replaces this process, argv is fixed

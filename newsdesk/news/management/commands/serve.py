"""`python -m newsdesk serve`: the production server (granian, WSGI) on this machine."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError

# Request threads per worker. granian's default (hundreds) cost ~30% throughput,
# doubled p99 and ~200 MB per worker for this CPU-bound app: Python runs one
# thread at a time, and database reads are local and short. Measured with
# bench/pages (docs/operators.md): server CPU per request grows with threads
# (hits 0.029 / 0.042 / 0.054 ms, misses 17 / 18 / 23 ms at 1 / 2 / 4).
DEFAULT_THREADS = 1


class Command(BaseCommand):
    help = (
        "Serve newsdesk with granian (multi-process WSGI; static files via "
        "WhiteNoise), optionally with the background task worker beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Web worker processes (default: one per core).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=DEFAULT_THREADS,
            help=f"Request threads per worker process (default: {DEFAULT_THREADS}; "
            "see docs/operators.md for the measurement behind it).",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background task worker (feed polling, related "
            "indexing of bulk imports); in production run `db_worker` as its "
            "own service instead.",
        )

    def handle(self, *args, host, port, workers, threads, with_worker, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a TCP port (1-65535).")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if not 1 <= threads <= 64:
            raise CommandError("--threads must be between 1 and 64.")
        granian = shutil.which("granian", path=os.path.dirname(sys.executable))
        if granian is None:
            raise CommandError("granian is not installed: run `pip install -e .`.")
        argv = [
            granian, "--interface", "wsgi", "--host", host, "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads),
            "--respawn-failed-workers", "--no-ws", "newsdesk.wsgi:application",
        ]  # fmt: skip
        self.stdout.write(
            f"newsdesk: http://{host}:{port}/ ({workers} workers x {threads} threads)"
        )
        sys.stdout.flush()
        if not with_worker:
            os.execv(granian, argv)  # noqa: S606 - replaces this process, argv fixed
        worker = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "newsdesk", "db_worker", "--no-reload"]
        )
        server = subprocess.Popen(argv)  # noqa: S603 - fixed argv

        def stop(signum, frame):
            server.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            server.wait()  # Ctrl-C reached the whole process group
        finally:
            for child in (server, worker):
                if child.poll() is None:
                    child.terminate()
            for child in (server, worker):
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

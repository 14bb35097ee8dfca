"""`python -m newsdesk doctor`: is this installation healthy, and if not, what to do."""

from __future__ import annotations

from django.core import checks
from django.core.management.base import BaseCommand, CommandError

from newsdesk.news.checks import registry

LABELS = {
    checks.DEBUG: "ok",
    checks.INFO: "ok",
    checks.WARNING: "WARNING",
    checks.ERROR: "ERROR",
    checks.CRITICAL: "ERROR",
}


class Command(BaseCommand):
    help = (
        "Check configuration, database, cache, search and related indexes, the "
        "background worker, static files and media storage; print what to fix. "
        "Exits 0 only when nothing is wrong."
    )
    requires_system_checks: list[str] = []  # the checks are what this command runs

    def add_arguments(self, parser):
        parser.add_argument(
            "--deploy",
            action="store_true",
            help="Also run Django's deployment checks (HTTPS, cookies, HSTS).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit non-zero on warnings too.",
        )

    def handle(self, *args, deploy, strict, **options):
        found = list(checks.run_checks(include_deployment_checks=False))
        found += registry.run_checks()
        if deploy:
            found += [
                m
                for m in checks.run_checks(include_deployment_checks=True)
                if m not in found
            ]
        problems = 0
        for message in sorted(found, key=lambda m: m.level):
            label = LABELS.get(message.level, "ERROR")
            if message.level >= checks.WARNING:
                problems += message.level >= checks.ERROR or strict
            style = (
                self.style.ERROR
                if message.level >= checks.ERROR
                else self.style.WARNING
                if message.level >= checks.WARNING
                else self.style.SUCCESS
            )
            ident = f" [{message.id}]" if message.level >= checks.WARNING else ""
            self.stdout.write(f"{style(label.ljust(7))} {message.msg}{ident}")
            if message.hint:
                self.stdout.write(f"        fix: {message.hint}")
        if problems:
            raise CommandError(
                f"{problems} problem(s) to fix (see above).", returncode=1
            )
        self.stdout.write(self.style.SUCCESS("Healthy."))

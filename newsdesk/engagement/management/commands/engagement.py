"""`python -m newsdesk engagement flush|prune|rankings`: operator chores."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from newsdesk.engagement import selectors
from newsdesk.engagement.counters import get_counter, store


class Command(BaseCommand):
    help = "Flush buffered views, prune old engagement data, or show the rankings."

    def add_arguments(self, parser):
        parser.add_argument("task", choices=["flush", "prune", "rankings"])
        parser.add_argument("--window", default="24h", choices=list(selectors.WINDOWS))
        parser.add_argument("--order", default="views", choices=selectors.ORDERS)

    def handle(self, *args, task, window, order, **options):
        if task == "flush":
            # Drains shared storage (Redis); the in-process buffer of a running
            # server flushes itself.
            counted = get_counter().flush()
            self.stdout.write(f"counted {counted} view(s)")
        elif task == "prune":
            readers, buckets = store.prune()
            self.stdout.write(f"pruned {readers} reader row(s), {buckets} bucket(s)")
        else:
            for rank, pk in enumerate(
                selectors.compute_ranking(window=window, order=order, size=20), 1
            ):
                self.stdout.write(f"{rank:3d}. article {pk}")

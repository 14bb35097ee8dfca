"""`python -m newsdesk evaluate related|recommend|search ...`: offline evaluations.

Each evaluation lives in newsdesk.discovery.evaluation.<name> and exposes
`add_arguments(parser)` and `run(options, stdout) -> dict`; the command prints the
returned figures as one JSON line (the output contract of the issues).
"""

from __future__ import annotations

import importlib
import json

from django.core.management.base import BaseCommand, CommandError

EVALUATIONS = {
    "related": "newsdesk.discovery.evaluation.related",
    "recommend": "newsdesk.discovery.evaluation.recommend",
    "search": "newsdesk.discovery.evaluation.search",
}


class Command(BaseCommand):
    help = "Evaluate discovery quality on labelled data; prints one JSON line."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="evaluation", required=True)
        for name, module_path in EVALUATIONS.items():
            module = importlib.import_module(module_path)
            module.add_arguments(sub.add_parser(name, help=module.__doc__))

    def handle(self, *args, **options):
        name = options["evaluation"]
        module = importlib.import_module(EVALUATIONS[name])
        try:
            figures = module.run(options, stderr=self.stderr)
        except (OSError, ValueError) as exc:
            raise CommandError(f"evaluate {name}: {exc}") from exc
        self.stdout.write(json.dumps(figures, sort_keys=False))

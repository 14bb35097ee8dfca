"""`python -m newsdesk evaluate related|recommend|search ...`: offline evaluations.

Each evaluation lives in the top-level package `newsdesk_evaluation.<name>` (research
code, outside the site's runtime path) and exposes `add_arguments(parser)` and
`run(options, stdout) -> dict`; the command prints the returned figures as one JSON
line (the output contract of the issues). The evaluations need the `evaluation`
extra (scipy, scikit-learn); without it the command says so instead of failing with
a traceback, and nothing else in the site imports them.
"""

from __future__ import annotations

import argparse
import importlib
import json

from django.core.management.base import BaseCommand, CommandError

EVALUATIONS = {
    "related": "newsdesk_evaluation.related",
    "recommend": "newsdesk_evaluation.recommend",
    "search": "newsdesk_evaluation.search",
}
EXTRA_HINT = "pip install 'newsdesk[evaluation]'"


class _TakesAnything(argparse.ArgumentParser):
    """Stands in for an evaluation that cannot be imported: takes any arguments
    so that handle() runs and names the missing extra (argparse would otherwise
    stop at the first option it does not know)."""

    def parse_known_args(self, args=None, namespace=None):
        return (namespace if namespace is not None else argparse.Namespace()), []


class Command(BaseCommand):
    help = "Evaluate discovery quality on labelled data; prints one JSON line."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="evaluation", required=True)
        self.missing: dict[str, ImportError] = {}
        for name, module_path in EVALUATIONS.items():
            try:
                module = importlib.import_module(module_path)
            except ImportError as exc:
                # Keep the name known so `evaluate NAME ...` reaches handle(),
                # which names the missing extra.
                self.missing[name] = exc
                sub.add_parser(name, help=f"(needs the evaluation extra: {EXTRA_HINT})")
                sub.choices[name] = _TakesAnything()
                continue
            module.add_arguments(sub.add_parser(name, help=module.__doc__))

    def handle(self, *args, **options):
        name = options["evaluation"]
        if name in self.missing:
            raise _needs_extra(name, self.missing[name])
        module = importlib.import_module(EVALUATIONS[name])
        try:
            figures = module.run(options, stderr=self.stderr)
        except ImportError as exc:  # a baseline imports its library when it runs
            raise _needs_extra(name, exc) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(f"evaluate {name}: {exc}") from exc
        self.stdout.write(json.dumps(figures, sort_keys=False))


def _needs_extra(name: str, exc: ImportError) -> CommandError:
    return CommandError(
        f"evaluate {name} needs the `evaluation` extra ({EXTRA_HINT}): {exc}"
    )

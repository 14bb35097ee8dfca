"""`python -m newsdesk ingest add|run|import|schedule|status`."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsdesk.ingest import actions, runs, tasks
from newsdesk.ingest.models import Feed
from newsdesk.ingest.processor import Target
from newsdesk.ingest.rules import parse_rules
from newsdesk.news import actions as news_actions
from newsdesk.news.models import Source


class Command(BaseCommand):
    help = "Register, run and import news feeds and wire dumps (docs/ingest.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a feed; prints its source id")
        add.add_argument("url")
        add.add_argument("--category", required=True, help="section path or slug")
        add.add_argument("--name", default="", help="source name (default: the host)")
        add.add_argument("--publish", action="store_true", help="publish, not draft")
        add.add_argument("--format", default="auto", choices=Feed.Format.values)
        add.add_argument("--rules", default="", help="mapping rules, one a line")

        run = sub.add_parser("run", help="fetch due feeds (or one source's feeds)")
        run.add_argument("--source", type=int, help="run this source's feeds now")
        run.add_argument("--all", action="store_true", help="ignore poll intervals")
        run.add_argument("--loop", action="store_true", help="keep polling")

        imp = sub.add_parser("import", help="import a ninjs / JSONL / feed file")
        imp.add_argument("file", type=Path)
        group = imp.add_mutually_exclusive_group(required=True)
        group.add_argument("--source", type=int, help="use this source's feed settings")
        group.add_argument("--category", help="section path or slug")
        imp.add_argument("--name", default="", help="source name (default: file name)")
        imp.add_argument("--publish", action="store_true")
        imp.add_argument(
            "--index", action="store_true", help="let search engines index"
        )
        imp.add_argument("--format", default="auto", choices=Feed.Format.values)
        imp.add_argument("--rules", default="")

        sub.add_parser("schedule", help="enqueue the background polling task")
        sub.add_parser("status", help="one JSON line per feed")

    def handle(self, *args, **options):
        try:
            getattr(self, "handle_" + options["action"])(**options)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc

    def handle_add(self, *, url, category, name, publish, format, rules, **_):
        feed = actions.check_add_feed(
            url,
            category=category,
            name=name,
            publish=publish,
            format=format,
            rules=rules,
        )
        self.stdout.write(str(feed.source_id))

    def _report(self, runs):
        for run in runs:
            line = {"feed": run.feed_id, "status": run.status, **run.counts.as_dict()}
            if run.error:
                line["error"] = run.error
            self.stdout.write(json.dumps(line))

    def handle_run(self, *, source, loop, all, **_):
        if source is not None and not Source.objects.filter(pk=source).exists():
            raise CommandError(f"no source with id {source}")
        while True:
            self._report(runs.do_run_feeds(source_id=source, due_only=not all))
            if not loop:
                return
            now = timezone.now()
            if source is not None:
                minutes = min(
                    Feed.objects.filter(source_id=source).values_list(
                        "poll_minutes", flat=True
                    ),
                    default=15,
                )
                time.sleep(max(minutes * 60, 30))
            else:
                time.sleep((actions.next_poll_at(now) - now).total_seconds())
            all = False  # --all applies to the first pass only

    def handle_import(
        self, *, file, source, category, name, publish, index, format, rules, **_
    ):
        if source is not None:
            feed = (
                Feed.objects.filter(source_id=source)
                .select_related("source", "category")
                .first()
            )
            if feed is None:
                raise CommandError(f"source {source} has no feed to take settings from")
            target = Target.for_feed(feed)
            target.feed = None
        else:
            section = actions.get_category(category)
            src = news_actions.get_or_create_source(
                name or file.name,
                indexing=Source.Indexing.INDEX if index else Source.Indexing.NOINDEX,
            )
            target = Target(
                source=src,
                category=section,
                rules=parse_rules(rules),
                publish=publish,
                noindex=not index,
            )
        counts = runs.do_import_file(file, target=target, format=format)
        self.stdout.write(json.dumps({"source": target.source.pk, **counts.as_dict()}))

    def handle_schedule(self, **_):
        queued = tasks.schedule()
        self.stdout.write("scheduled" if queued else "already scheduled")

    def handle_status(self, **_):
        for feed in Feed.objects.select_related("source"):
            self.stdout.write(
                json.dumps(
                    {
                        "source": feed.source_id,
                        "url": feed.url,
                        "enabled": feed.enabled,
                        "last_success_at": feed.last_success_at
                        and feed.last_success_at.isoformat(),
                        "next_fetch_at": feed.next_fetch_at
                        and feed.next_fetch_at.isoformat(),
                        "last_error": feed.last_error,
                        "created": feed.items_created,
                        "failed": feed.items_failed,
                    }
                )
            )

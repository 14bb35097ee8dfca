"""`python -m newsdesk discovery rebuild|related ID`: the related-articles index."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from newsdesk.discovery.models import Cluster, RelatedLink
from newsdesk.discovery.related import index as related_index
from newsdesk.news.progress import progress as progress_bar


class Command(BaseCommand):
    help = "Rebuild the related-articles index, or show an article's related list."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="Rebuild the whole index from live articles.")
        show = sub.add_parser(
            "related", help="Print the stored related list of one article."
        )
        show.add_argument("article_id", type=int)

    def handle(self, *args, action, **options):
        if action == "rebuild":
            started = time.monotonic()

            def progress(items, **kw):
                return progress_bar(
                    items,
                    desc="related lists",
                    unit="article",
                    file=self.stderr,
                    disable=options["verbosity"] == 0,
                    **kw,
                )

            count = related_index.rebuild(progress=progress)
            self.stdout.write(
                f"Indexed {count} live articles in {time.monotonic() - started:.1f} s."
            )
            return
        article_id = options["article_id"]
        cluster = Cluster.objects.filter(article_id=article_id).first()
        if cluster is None:
            raise CommandError(f"article {article_id} is not in the index (not live?)")
        self.stdout.write(
            f"story {cluster.story_id}, duplicate group {cluster.duplicate_group}"
        )
        for link in RelatedLink.objects.filter(article_id=article_id).select_related(
            "related"
        ):
            self.stdout.write(
                f"{link.rank:2d}. [{link.score:.3f}] {link.related.headline}"
            )

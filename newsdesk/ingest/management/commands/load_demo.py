from django.core.management.base import BaseCommand, CommandError

from newsdesk.ingest import demo
from newsdesk.news.progress import progress as progress_bar


class Command(BaseCommand):
    help = "Import the bundled free-licensed demo content (idempotent)."

    def handle(self, *args, **options):
        def progress(items, desc):
            return progress_bar(
                items,
                desc=desc,
                unit="article",
                file=self.stderr,
                disable=options["verbosity"] == 0,
            )

        try:
            counts = demo.load(progress=progress)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "Demo content: {created} created, {updated} updated, "
            "{unchanged} unchanged, {failed} failed.".format(**counts)
        )

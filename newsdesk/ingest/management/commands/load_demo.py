from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from newsdesk.ingest import demo


class Command(BaseCommand):
    help = "Import the bundled free-licensed demo content (idempotent)."

    def handle(self, *args, **options):
        def progress(items, desc):
            return tqdm(
                items,
                desc=desc,
                unit="article",
                file=self.stderr._out,
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

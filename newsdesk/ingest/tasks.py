"""Background tasks (django-tasks) and their scheduling; run by
`python -m newsdesk db_worker`."""

from __future__ import annotations

from django.apps import apps
from django.utils import timezone
from django_tasks import task

from newsdesk.ingest import actions, runs

TASK_PATH = "newsdesk.ingest.tasks.run_due_feeds"


@task()
def run_due_feeds() -> dict:
    """Poll every due feed, then enqueue the next poll. Idempotent."""
    try:
        feed_runs = runs.do_run_feeds(due_only=True)
    finally:
        # Even if the run broke (the database went away, a bug), the chain of
        # polls must go on: the next run is enqueued whatever happened.
        schedule()
    return {
        "feeds": len(feed_runs),
        "errors": sum(r.status == "error" for r in feed_runs),
        "created": sum(r.counts.created for r in feed_runs),
    }


def schedule(*, now=None) -> bool:
    """Enqueue the polling task for the next due time unless one is waiting already.

    django-tasks has no periodic schedule: each run enqueues the next, so one
    chain runs however often this is called.
    """
    now = now or timezone.now()
    if not run_due_feeds.get_backend().supports_defer:
        return False  # e.g. the immediate backend: a chain would never end
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists():
            return False
    run_due_feeds.using(run_after=actions.next_poll_at(now)).enqueue()
    return True

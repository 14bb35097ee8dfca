"""Background tasks (django-tasks); run by `python -m newsdesk db_worker`."""

from __future__ import annotations

from django_tasks import task


@task()
def run_due_feeds() -> dict:
    """Poll every due feed, then enqueue the next poll. Idempotent."""
    from newsdesk.ingest import actions

    try:
        runs = actions.do_run_feeds(due_only=True)
    finally:
        # Even if the run broke (the database went away, a bug), the chain of
        # polls must go on: the next run is enqueued whatever happened.
        actions.do_schedule()
    return {
        "feeds": len(runs),
        "errors": sum(r.status == "error" for r in runs),
        "created": sum(r.counts.created for r in runs),
    }

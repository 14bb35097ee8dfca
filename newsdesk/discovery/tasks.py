"""Background tasks of discovery (django-tasks), run by `db_worker`."""

from __future__ import annotations

from django_tasks import task

from newsdesk.discovery.related import index as related_index


@task()
def index_articles(article_ids: list[int]) -> int:
    """Index a batch of changed articles (bulk imports and feed runs)."""
    return related_index.index_articles(article_ids)

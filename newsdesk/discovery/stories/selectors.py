"""Story reads for pages: the rows the index wrote, nothing computed per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from newsdesk.discovery.models import Cluster, Story
from newsdesk.news.models import Article

# A story page lists at most this many reports (newest first); a story is
# rarely longer, and a page must have a bounded cost.
STORY_PAGE_LIMIT = 200
# Purge tags (news.caching): a story's page, feeds, API document and the pages
# of its reports ("Full coverage: N reports"); the stories sitemap.
STORIES_TAG = "stories"


def story_tag(pk: int) -> str:
    return f"s{pk}"


@dataclass
class Report:
    """One entry of a story's timeline: an article and the other copies of the
    same report (its duplicate group), shown once as "also reported by"."""

    article: Article
    also: list[Article] = field(default_factory=list)


def cluster_of(article_id: int) -> tuple[int, int] | None:
    """(duplicate group, story id) of the article, or None when not indexed.

    Hand-written SQL: every article page asks, and the ORM spent more
    compiling the statement than the database running it."""
    table = connection.ops.quote_name(Cluster._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT duplicate_group, story_id FROM {table} WHERE article_id = %s",  # noqa: S608
            [article_id],
        )
        row = cursor.fetchone()
    return tuple(row) if row else None


def story_of(article: Article, *, cluster=...) -> Story | None:
    """The article's story row, or None. `cluster`: its cluster_of row when
    the caller has read it already (one query fewer)."""
    row = cluster_of(article.pk) if cluster is ... else cluster
    story_id = row[1] if row is not None else None
    if story_id is None:
        return None
    return Story.objects.filter(pk=story_id).first()


def live_members(story: Story):
    return Article.objects.live().filter(
        pk__in=Cluster.objects.filter(story_id=story.pk).values("article_id")
    )


def timeline(story: Story) -> list[Report]:
    """The story's reports, newest first, each duplicate group collapsed into
    its earliest copy (the original) with the later copies under it."""
    articles = list(
        live_members(story)
        .select_related("source", "category")
        .order_by("-published_at", "-pk")[:STORY_PAGE_LIMIT]
    )
    groups = dict(
        Cluster.objects.filter(article_id__in=[a.pk for a in articles]).values_list(
            "article_id", "duplicate_group"
        )
    )
    by_group: dict[int, list[Article]] = {}
    for a in articles:
        by_group.setdefault(groups.get(a.pk, a.pk), []).append(a)
    reports: dict[int, Report] = {}
    for a in articles:  # newest first
        copies = by_group[groups.get(a.pk, a.pk)]
        lead = copies[-1]  # the earliest copy leads its group
        if lead.pk not in reports:
            reports[lead.pk] = Report(lead, [c for c in reversed(copies[:-1])])
    return sorted(
        reports.values(),
        key=lambda r: (r.article.published_at, r.article.pk),
        reverse=True,
    )


def full_coverage(article: Article) -> dict | None:
    """{"url", "count", "title"} of the article's story when it has other live
    reports (two queries), else None."""
    return coverage_and_tags(article)[0]


def coverage_and_tags(
    article: Article, *, cluster=...
) -> tuple[dict | None, list[str]]:
    """`full_coverage` and the purge tags of what it depends on: the article's
    story, also while it has one report (a second report adds the link).
    `cluster` as in story_of."""
    story = story_of(article, cluster=cluster)
    if story is None:
        return None, []
    tags = [story_tag(story.pk)]
    if story.merged_into_id is not None:
        return None, tags
    count = live_members(story).count()
    if count < 2:
        return None, tags
    return {
        "url": story.get_absolute_url(),
        "count": count,
        "title": story.title,
    }, tags

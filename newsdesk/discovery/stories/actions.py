"""Story rows: mirrored from the story engine, corrected by editors (writes).

The engine (engines/stories.py) decides which articles tell one story; this
module keeps the `Story` rows and each article's `Cluster.story_id` in step
with it, and applies editors' decisions, which always win:

- a `StoryPin` puts an article in a story whatever the engine says (move, split);
- `Story.merged_into` set by an editor (`merged_by_editor`) sends every member
  of a story to another one, and its URL redirects;
- `Story.title_pinned` keeps an editor's title.

All of these are rows the engine never writes, so they survive `discovery
rebuild`, which recomputes everything else.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from django.db import transaction
from django.db.models import Max, Min

from newsdesk.discovery.engines.protocols import RelatedEngineProtocol
from newsdesk.discovery.engines.stories import StoryEngine
from newsdesk.discovery.models import Cluster, Story, StoryPin
from newsdesk.discovery.stories.selectors import STORIES_TAG, story_tag
from newsdesk.news.models import Article
from newsdesk.news.signals import pages_changed

MAX_MERGE_CHAIN = 50


def key_text(key: Hashable) -> str:
    return str(key)


def resolve(story: Story) -> Story:
    """The story that `story` was merged into, followed to the end (bounded:
    merges are refused when they would close a loop, and a walk stops at the
    first repeat anyway)."""
    seen = {story.pk}
    for _ in range(MAX_MERGE_CHAIN):
        if story.merged_into_id is None or story.merged_into_id in seen:
            return story
        nxt = Story.objects.filter(pk=story.merged_into_id).first()
        if nxt is None:
            return story
        seen.add(nxt.pk)
        story = nxt
    return story


def _rows_for_keys(keys: Iterable[Hashable]) -> dict[str, Story]:
    texts = {key_text(k) for k in keys}
    rows = {s.key: s for s in Story.objects.filter(key__in=texts)}
    missing = [t for t in sorted(texts) if t not in rows]
    if missing:
        Story.objects.bulk_create(
            [Story(key=t) for t in missing], ignore_conflicts=True
        )
        rows.update({s.key: s for s in Story.objects.filter(key__in=missing)})
    return rows  # type: ignore[return-value]


def story_rows_for(engine_keys: dict[int, Hashable]) -> dict[int, int]:
    """Story id of each article given its engine story key: an editor's pin
    first, else the key's row (made on first sight), followed through merges."""
    pins = dict(
        StoryPin.objects.filter(article_id__in=list(engine_keys)).values_list(
            "article_id", "story_id"
        )
    )
    rows = _rows_for_keys(k for a, k in engine_keys.items() if a not in pins)
    resolved: dict[int, int] = {}
    out = {}
    for article_id, key in engine_keys.items():
        start = pins.get(article_id)
        if start is None:
            start = rows[key_text(key)].pk
        if start not in resolved:
            resolved[start] = resolve(Story.objects.get(pk=start)).pk
        out[article_id] = resolved[start]
    return out


def story_keys_to_pks(keys: Iterable[Hashable]) -> set[int]:
    texts = [key_text(k) for k in keys]
    return set(Story.objects.filter(key__in=texts).values_list("pk", flat=True))


def apply_engine_merges(merges: list[tuple[Hashable, Hashable]]) -> set[int]:
    """Mirror the engine's merges: the absorbed story's row points to the
    survivor (its URL redirects) and its unpinned members move. Returns the
    Story ids touched."""
    touched: set[int] = set()
    for gone_key, keep_key in merges:
        rows = _rows_for_keys([gone_key, keep_key])
        gone, keep = rows[key_text(gone_key)], resolve(rows[key_text(keep_key)])
        if gone.pk == keep.pk or gone.merged_by_editor:
            continue
        _merge_rows(gone, keep, by_editor=False)
        touched |= {gone.pk, keep.pk}
    return touched


def _merge_rows(gone: Story, keep: Story, *, by_editor: bool) -> None:
    with transaction.atomic():
        Story.objects.filter(pk=gone.pk).update(
            merged_into=keep, merged_by_editor=by_editor
        )
        # Earlier merges into `gone` now lead straight to `keep`.
        Story.objects.filter(merged_into=gone).update(merged_into=keep)
        pinned = StoryPin.objects.filter(story=gone)
        if by_editor:
            pinned.update(story=keep)
            Cluster.objects.filter(story_id=gone.pk).update(story_id=keep.pk)
        else:
            Cluster.objects.filter(story_id=gone.pk).exclude(
                article_id__in=pinned.values("article_id")
            ).update(story_id=keep.pk)


def start_rebuild(stories: StoryEngine) -> None:
    """Before a rebuild's rows are written: forget the engine's own merges of
    stories that the new clustering keeps apart (editors' merges stay)."""
    live = [key_text(k) for k in stories.stories()]
    for start in range(0, len(live), 500):
        Story.objects.filter(
            merged_by_editor=False, key__in=live[start : start + 500]
        ).update(merged_into=None)


def nonempty_story_pks() -> set[int]:
    return set(Story.objects.filter(size__gt=0).values_list("pk", flat=True))


def purge_story_pages(pks: Iterable[int]) -> None:
    """Once committed, the cached pages showing these stories are stale: their
    pages, feeds and API documents, their reports' pages ("Full coverage: N
    reports") and the stories sitemap (news.signals.pages_changed)."""
    tags = [story_tag(pk) for pk in sorted(set(pks))]
    if tags:
        tags.append(STORIES_TAG)
        transaction.on_commit(
            lambda: pages_changed.send(sender=Story, tags=tags), robust=True
        )


def refresh_stories(
    pks: Iterable[int],
    stories: StoryEngine | None = None,
    related: RelatedEngineProtocol | None = None,
) -> None:
    """Recompute the size, times and (unless pinned) title of stories from
    their live members. The title is the headline of the member the engine
    finds most typical of the story, else of its first report. Their cached
    pages are purged."""
    pks = set(pks)
    purge_story_pages(pks)
    for story in Story.objects.filter(pk__in=pks):
        members = Article.objects.live().filter(
            pk__in=Cluster.objects.filter(story_id=story.pk).values("article_id")
        )
        agg = members.aggregate(first=Min("published_at"), last=Max("published_at"))
        story.size = members.count()
        story.first_published_at, story.last_published_at = agg["first"], agg["last"]
        if not story.title_pinned and story.size:
            story.title = _title(story, members, stories, related)
        story.save(
            update_fields=[
                "size", "first_published_at", "last_published_at", "title",
                "updated_at",
            ]
        )  # fmt: skip


def _title(
    story: Story,
    members,
    stories: StoryEngine | None,
    related: RelatedEngineProtocol | None,
) -> str:
    if stories and related and story.key is not None and story.key.isdigit():
        # Engine keys are article ids; a key re-made after a delete is a tuple
        # and simply takes the first report's headline.
        rep = stories.representative(int(story.key), related)
        if rep is not None:
            found = members.filter(pk=rep).values_list("headline", flat=True)
            if found:
                return found[0]
    first = members.order_by("published_at", "pk").values_list("headline", flat=True)
    return first[0] if first else story.title


# -- editors' decisions ---------------------------------------------------------------
def _live_story(story: Story) -> Story:
    return resolve(story)


def move_articles(article_ids: Iterable[int], story: Story) -> int:
    """Put articles in `story` for good (an editor's move). Returns how many."""
    story = _live_story(story)
    ids = list(
        Article.objects.filter(pk__in=list(article_ids)).values_list("pk", flat=True)
    )
    old = set(
        Cluster.objects.filter(article_id__in=ids).values_list("story_id", flat=True)
    )
    with transaction.atomic():
        for article_id in ids:
            StoryPin.objects.update_or_create(
                article_id=article_id, defaults={"story": story}
            )
        Cluster.objects.filter(article_id__in=ids).update(story_id=story.pk)
    refresh_stories(old | {story.pk})
    return len(ids)


def split_story(article_ids: Iterable[int], title: str = "") -> Story:
    """Make a new story of these articles (an editor's split)."""
    ids = list(article_ids)
    first = (
        Article.objects.filter(pk__in=ids)
        .order_by("published_at", "pk")
        .values_list("headline", flat=True)
        .first()
    )
    story = Story.objects.create(
        key=None, title=title or first or "", title_pinned=bool(title)
    )
    move_articles(ids, story)
    return story


def merge_stories(stories: Iterable[Story], into: Story) -> Story:
    """Merge `stories` into `into` (an editor's merge); returns the survivor."""
    into = _live_story(into)
    touched = {into.pk}
    for story in stories:
        story = _live_story(story)
        if story.pk == into.pk:
            continue
        _merge_rows(story, into, by_editor=True)
        touched.add(story.pk)
    refresh_stories(touched)
    return into


def pin_title(story: Story, title: str) -> None:
    """Keep an editor's title (an empty one hands the title back to the engine)."""
    story.title = title.strip() or story.title
    story.title_pinned = bool(title.strip())
    story.save(update_fields=["title", "title_pinned", "updated_at"])
    purge_story_pages([story.pk])

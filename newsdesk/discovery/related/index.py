"""The related-articles index as the site runs it: adapter, writer, reader.

The pure engines (engines/related.py, engines/stories.py) live in each process
that writes; their state is saved as two files beside the database
(`NEWSDESK_DATA_DIR/discovery/`) and their results as rows (RelatedLink,
Cluster, Story) that every worker process reads.
So a page request reads a few rows and never computes similarity, all workers
share one index, and the index survives restarts.

Writes are serialized across processes by an exclusive lock on a file next to
the index; each writer reloads the saved state when another process changed it.
The file is named by the database's identity (an `IndexIdentity` row made on
first use), so an index written for another database is never loaded: a writer
that finds no readable index for its database builds one from the live articles.
Publishing or editing an article indexes it right after its transaction
commits (`on_article_changed`); bulk writers announce a whole batch at once
(news.actions.collect_changes), which the background worker indexes
(`python -m newsdesk db_worker`, or `serve --with-worker`), and
`python -m newsdesk discovery rebuild` rebuilds everything.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from newsdesk.discovery.engines.related import Article as EngineArticle
from newsdesk.discovery.engines.related import RelatedEngine
from newsdesk.discovery.engines.stories import StoryEngine
from newsdesk.discovery.models import Cluster, IndexIdentity, RelatedLink
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.news.models import Article

log = logging.getLogger(__name__)

# Neighbours whose own lists are refreshed when an article joins or leaves: the
# new article may now belong in their Related list.
NEIGHBOURS_REFRESHED = 10
_lock = threading.Lock()
_cache: dict[str, object] = {}


def index_dir() -> Path:
    path = Path(settings.DATA_DIR) / "discovery"
    path.mkdir(parents=True, exist_ok=True)
    return path


def engine_factory() -> RelatedEngine:
    """A new, empty engine from NEWSDESK_RELATED_ENGINE (dotted path of a class
    or factory); the built-in engine by default."""
    path = settings.NEWSDESK_RELATED_ENGINE
    factory: Callable[[], RelatedEngine] = (
        import_string(path) if path else RelatedEngine
    )
    return factory()


def to_engine(article: Article) -> EngineArticle:
    return EngineArticle(
        id=article.pk,
        title=article.headline,
        standfirst=article.standfirst,
        body=article.body_text,
        tags=tuple(t.name for t in article.tags.all()),
        category=article.category.path,
        published=article.published_at,
    )


class _Slot:
    """The engines a writer works on; a rebuild swaps in new ones."""

    def __init__(self, engine: RelatedEngine, stories: StoryEngine):
        self.engine = engine
        self.stories = stories


def database_identity() -> str:
    """This database's identity, made on first use (see IndexIdentity)."""
    row = IndexIdentity.objects.order_by("pk").first()
    if row is None:
        row, _ = IndexIdentity.objects.get_or_create(
            pk=1, defaults={"token": uuid.uuid4().hex}
        )
    return row.token


def index_file() -> Path:
    """The index file of this database (`related-<identity>.bin`); the story
    engine's state is `stories-<identity>.bin` beside it."""
    return index_dir() / f"related-{database_identity()}.bin"


def _stories_file(data_file: Path) -> Path:
    return data_file.with_name(data_file.name.replace("related-", "stories-", 1))


@contextlib.contextmanager
def _writer(*, load: bool = True) -> Iterator[_Slot]:
    """The engines, locked against every other writer, saved on clean exit.

    With `load=False` (a full rebuild) the caller puts the engines in the slot.
    """
    data_file = index_file()
    with open(data_file.with_suffix(".lock"), "a+b") as lock, _lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if load:
                slot = _Slot(*_load(data_file))
            else:
                slot = _Slot(engine_factory(), StoryEngine())
            yield slot
            # Stories first: the related file's time is what marks a change.
            for path, data in (
                (_stories_file(data_file), slot.stories.to_bytes()),
                (data_file, slot.engine.to_bytes()),
            ):
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)  # readers never see half a file
            _cache.update(
                engine=slot.engine,
                stories=slot.stories,
                path=data_file,
                mtime=data_file.stat().st_mtime_ns,
            )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load(data_file: Path) -> tuple[RelatedEngine, StoryEngine]:
    """This database's engines: the cached ones if the file is unchanged, else
    the files'; built from the live articles when either file is unreadable."""
    mtime = data_file.stat().st_mtime_ns if data_file.exists() else None
    cached = _cache.get("engine"), _cache.get("stories")
    same = _cache.get("path") == data_file and _cache.get("mtime") == mtime
    if cached[0] is not None and cached[1] is not None and same:
        return cached  # type: ignore[return-value]
    engines = None
    if mtime is not None:
        try:
            engines = (
                RelatedEngine.from_bytes(data_file.read_bytes()),
                StoryEngine.from_bytes(_stories_file(data_file).read_bytes()),
            )
        except (OSError, ValueError):
            log.warning("related index %s is unreadable; rebuilding it", data_file)
    if engines is None:
        engines = _build_engines()
    _cache.update(engine=engines[0], stories=engines[1], path=data_file, mtime=mtime)
    return engines


def _live_articles():
    return (
        Article.objects.live()
        .select_related("category")
        .prefetch_related("tags")
        .order_by("published_at", "pk")
    )


def _build_engines(*, progress=None) -> tuple[RelatedEngine, StoryEngine]:
    """New engines holding every live article of this database."""
    engine = engine_factory()
    articles = [to_engine(a) for a in _live_articles().iterator(chunk_size=1000)]
    engine.build(articles, progress=progress, total=len(articles))
    stories = StoryEngine()
    stories.build(articles, engine, progress=progress)
    return engine, stories


def _store_results(
    engine: RelatedEngine, stories: StoryEngine, ids: Iterable[int]
) -> set[int]:
    """Rewrite the related lists and cluster rows of `ids` from the engines;
    returns the ids of the Story rows they now belong to."""
    ids = [i for i in ids if i in engine]
    k = settings.NEWSDESK_RELATED_STORED
    story_pks = story_actions.story_rows_for(
        {i: stories.story_of(i) for i in ids if i in stories}
    )
    links, clusters = [], []
    for article_id in ids:
        for rank, match in enumerate(engine.related(article_id, k=k), start=1):
            links.append(
                RelatedLink(
                    article_id=article_id, related_id=match.id, rank=rank,
                    score=round(float(match.score), 6),
                )
            )  # fmt: skip
        group = engine.duplicates_of(article_id)
        if article_id in story_pks:
            clusters.append(
                Cluster(
                    article_id=article_id,
                    story_id=story_pks[article_id],
                    duplicate_group=min([article_id, *group]),
                )
            )
    with transaction.atomic():
        RelatedLink.objects.filter(article_id__in=ids).delete()
        RelatedLink.objects.bulk_create(links, batch_size=500)
        Cluster.objects.filter(article_id__in=ids).delete()
        Cluster.objects.bulk_create(clusters, batch_size=500)
    return set(story_pks.values())


def index_articles(ids: Iterable[int]) -> int:
    """Add, update or remove `ids` in the index and refresh the affected lists
    and stories.

    Live articles are (re)indexed; others leave the index and every list.
    Returns the number of articles whose lists were rewritten.
    """
    ids = set(ids)
    if not ids:
        return 0
    live = {
        a.pk: a
        for a in Article.objects.live()
        .filter(pk__in=ids)
        .select_related("category")
        .prefetch_related("tags")
    }
    with _writer() as slot:
        engine, stories = slot.engine, slot.stories
        affected: set[int] = set()
        touched_keys: set = set()
        for article_id in ids - live.keys():
            touched_keys.add(stories.remove(article_id, engine))
            if article_id in engine:
                neighbours = engine.related(article_id, k=NEIGHBOURS_REFRESHED)
                affected.update(m.id for m in neighbours)
                engine.remove(article_id)
        for article in live.values():
            item = to_engine(article)
            # Out of its story first: its old words leave the story's centroid.
            touched_keys.add(stories.remove(article.pk, engine))
            engine.add(item)  # re-indexes a known id
            touched_keys.add(stories.add(item, engine))
        for article_id in live:
            affected.add(article_id)
            affected.update(
                m.id for m in engine.related(article_id, k=NEIGHBOURS_REFRESHED)
            )
            affected.update(engine.duplicates_of(article_id))
        gone = ids - live.keys()
        with transaction.atomic():
            RelatedLink.objects.filter(article_id__in=gone).delete()
            RelatedLink.objects.filter(related_id__in=gone).delete()
            old_pks = set(
                Cluster.objects.filter(article_id__in=ids).values_list(
                    "story_id", flat=True
                )
            )
            Cluster.objects.filter(article_id__in=gone).delete()
        touched = old_pks | story_actions.apply_engine_merges(stories.take_merges())
        touched |= story_actions.story_keys_to_pks(touched_keys - {None})
        touched |= _store_results(engine, stories, affected - gone)
        story_actions.refresh_stories(touched, stories, engine)
    return len(affected - gone)


def rebuild(*, progress=None) -> int:
    """Rebuild the whole index and every story from the live articles
    (operators' command). Editors' story decisions are kept."""
    engine, stories = _build_engines()
    ids = list(engine.ids())
    with _writer(load=False) as slot:
        slot.engine, slot.stories = engine, stories
        RelatedLink.objects.all().delete()
        Cluster.objects.all().delete()
        story_actions.start_rebuild(stories)
        story_actions.apply_engine_merges(stories.take_merges())
        chunk = 500
        steps = range(0, len(ids), chunk)
        touched: set[int] = set()
        for start in progress(steps, unit_scale=chunk) if progress else steps:
            touched |= _store_results(engine, stories, ids[start : start + chunk])
        story_actions.refresh_stories(
            touched | story_actions.nonempty_story_pks(), stories, engine
        )
    return len(ids)

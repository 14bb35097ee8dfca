"""The related-articles index as the site runs it: adapter, writer, reader.

The pure engines (engines/related.py, engines/stories.py) live in each process
that writes; their state is saved in the database (one `IndexState` row) and
their results as rows (RelatedLink, Cluster, Story) that every process of every
host reads. So a page request reads a few rows and never computes similarity,
all hosts share one index, and a host that starts late, or whose data folder
is new, finds the index in the database.

Writers take turns across processes and hosts (a PostgreSQL advisory lock; on
SQLite, one machine, a lock file beside the database), and each writer reloads
the saved state when its cached copy's version stamp (`IndexState.token`, one
short query) is not the saved one: another process or host wrote since.
Publishing or editing an article indexes it right after its transaction
commits (`on_article_changed`); bulk writers announce a whole batch at once
(news.actions.collect_changes), which the background worker indexes
(`python -m newsdesk db_worker`, or `serve --with-worker`), and
`python -m newsdesk discovery rebuild` rebuilds everything. The pages whose
related lists changed are purged from the page caches (newsdesk.cache).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from newsdesk.cache.receivers import purge_tags
from newsdesk.discovery.engines.protocols import RelatedEngineProtocol
from newsdesk.discovery.engines.related import Article as EngineArticle
from newsdesk.discovery.engines.related import RelatedEngine
from newsdesk.discovery.engines.stories import StoryEngine
from newsdesk.discovery.models import Cluster, IndexState, RelatedLink
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.news import caching
from newsdesk.news.models import Article

log = logging.getLogger(__name__)

# Neighbours whose own lists are refreshed when an article joins or leaves: the
# new article may now belong in their Related list.
NEIGHBOURS_REFRESHED = 10
STATE = "related"  # the IndexState row
# pg_advisory_xact_lock key of the index writers ("nwsd-idx" as 8 bytes).
LOCK_KEY = int.from_bytes(b"nwsd-idx", "big") - 2**63
_lock = threading.Lock()
_cache: dict[str, object] = {}


def engine_class() -> type[RelatedEngineProtocol]:
    """The engine class named in NEWSDESK_RELATED_ENGINE (dotted path); the
    built-in RelatedEngine by default. It both makes new engines and loads saved
    ones, so an engine named in settings stays itself across reloads."""
    path = settings.NEWSDESK_RELATED_ENGINE
    return import_string(path) if path else RelatedEngine


def engine_factory() -> RelatedEngineProtocol:
    """A new, empty engine of the configured class."""
    return engine_class()()


def load_engine(data: bytes) -> RelatedEngineProtocol:
    """A saved engine, loaded by the configured class (ValueError if unreadable)."""
    return engine_class().from_bytes(data)


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


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

    def __init__(self, engine: RelatedEngineProtocol, stories: StoryEngine):
        self.engine = engine
        self.stories = stories


def _lock_file() -> Path:
    """SQLite's writers' lock: beside the database file, so that every process
    using the file shares it whatever its data folder."""
    name = str(connection.settings_dict.get("NAME") or "")
    if name and name != ":memory:" and not name.startswith("file:"):
        return Path(name).with_name(Path(name).name + ".index-lock")
    path = Path(settings.DATA_DIR) / "discovery"
    path.mkdir(parents=True, exist_ok=True)
    return path / "index.lock"


@contextlib.contextmanager
def _writers_turn() -> Iterator[None]:
    """Wait for this process's and every other writer's turn to end."""
    with _lock:
        if connection.vendor == "postgresql":
            # Held until the transaction ends; the writer's work is that
            # transaction, so readers see its lists all at once.
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
                yield
            return
        with open(_lock_file(), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def saved_stamp() -> tuple[str, int] | None:
    """(token, generation) of the saved index, None before the first save:
    the cheap check that tells whether a cached copy is current."""
    return (
        IndexState.objects.filter(name=STATE).values_list("token", "generation").first()
    )


@contextlib.contextmanager
def _writer(*, load: bool = True) -> Iterator[_Slot]:
    """The engines, locked against every other writer, saved on clean exit.

    With `load=False` (a full rebuild) the caller puts the engines in the slot.
    """
    with _writers_turn():
        stamp = saved_stamp()
        engines = _load(stamp) if load else (engine_factory(), StoryEngine())
        slot = _Slot(*engines)
        yield slot
        token, generation = uuid.uuid4().hex, (stamp[1] if stamp else 0) + 1
        IndexState.objects.update_or_create(
            name=STATE,
            defaults={
                "token": token,
                "generation": generation,
                "engine": _class_name(type(slot.engine)),
                "related": slot.engine.to_bytes(),
                "stories": slot.stories.to_bytes(),
            },
        )
        _cache.update(engine=slot.engine, stories=slot.stories, token=token)


def _load(stamp: tuple[str, int] | None) -> tuple[RelatedEngineProtocol, StoryEngine]:
    """This database's engines: the cached ones if nobody saved since, else
    the saved ones; built from the live articles when there are none, when
    they are unreadable, or when they belong to another engine class."""
    cached = _cache.get("engine"), _cache.get("stories")
    if stamp is not None and _cache.get("token") == stamp[0] and cached[0]:
        return cached  # type: ignore[return-value]
    engines = None
    row = IndexState.objects.filter(name=STATE).first() if stamp else None
    if row is not None:
        wanted = _class_name(engine_class())
        if row.engine != wanted:
            log.warning("related index of %s: rebuilding for %s", row.engine,
                        wanted)  # fmt: skip
        else:
            try:
                engines = (
                    load_engine(bytes(row.related)),
                    StoryEngine.from_bytes(bytes(row.stories)),
                )
            except ValueError:
                log.warning("related index #%s is unreadable; rebuilding it",
                            row.generation)  # fmt: skip
    if engines is None:
        engines = _build_engines()
    _cache.update(engine=engines[0], stories=engines[1], token=stamp and stamp[0])
    return engines


def _live_articles():
    return (
        Article.objects.live()
        .select_related("category")
        .prefetch_related("tags")
        .order_by("published_at", "pk")
    )


def _build_engines(*, progress=None) -> tuple[RelatedEngineProtocol, StoryEngine]:
    """New engines holding every live article of this database."""
    engine = engine_factory()
    articles = [to_engine(a) for a in _live_articles().iterator(chunk_size=1000)]
    engine.build(articles, progress=progress, total=len(articles))
    stories = StoryEngine()
    stories.build(articles, engine, progress=progress)
    return engine, stories


def _store_results(
    engine: RelatedEngineProtocol,
    stories: StoryEngine,
    ids: Iterable[int],
    *,
    changed: set[int] | None = None,
) -> set[int]:
    """Rewrite the related lists and cluster rows of `ids` from the engines;
    returns the ids of the Story rows they now belong to. Adds to `changed`
    the ids whose list or story is not what it was."""
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
        if changed is not None:
            before: dict[int, list[int]] = {}
            for article_id, related_id in RelatedLink.objects.filter(
                article_id__in=ids
            ).values_list("article_id", "related_id"):  # in rank order
                before.setdefault(article_id, []).append(related_id)
            after: dict[int, list[int]] = {}
            for link in links:
                after.setdefault(link.article_id, []).append(link.related_id)
            changed.update(i for i in ids if before.get(i) != after.get(i))
            # An article that joins or leaves a story: its own page and API
            # item show the story (the old and new stories' tags do not
            # cover an article that had none).
            stories_before = dict(
                Cluster.objects.filter(article_id__in=ids).values_list(
                    "article_id", "story_id"
                )
            )
            changed.update(i for i in ids if stories_before.get(i) != story_pks.get(i))
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
        changed: set[int] = set()
        touched |= _store_results(engine, stories, affected - gone, changed=changed)
        story_actions.refresh_stories(touched, stories, engine)
        # The pages showing the lists that changed, on every host (a new
        # article's neighbours list it now); after the lists are committed.
        tags = sorted(map(caching.page_tag, changed))
        transaction.on_commit(lambda: _purge(tags))
    return len(affected - gone)


def _purge(tags: list[str]) -> None:
    if not tags:
        return
    try:
        purge_tags(tags)
    except Exception:
        log.exception("purging pages of changed related lists failed")


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
        transaction.on_commit(lambda: _purge(["article"]))  # every article page
    return len(ids)

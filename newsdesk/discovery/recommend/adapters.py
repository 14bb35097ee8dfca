"""ORM rows <-> the pure recommendation engine, and the process's engine state.

`Recommender` is the interface chosen by NEWSDESK_RECOMMENDER (see
`selectors.get_recommender`); `EngineRecommender`, the default, keeps
one `engines.recommend.RecommendationEngine` per process:

- on first use it loads the live articles of the last NEWSDESK_RECOMMEND_LOAD_DAYS
  and replays the reads of the last READS_REPLAY (popularity and co-reading);
- then, at most every NEWSDESK_RECOMMEND_REFRESH_SECONDS, and within a second of
  an article change on any process or host (the change clock news.caching keeps
  in the default cache, which hosts share), the request that finds it stale has
  it pull what changed: edited, withdrawn or newly live articles, and reads
  written since (every process writes reads to the database, so every process's
  engine sees every reader's views, a few seconds late);
- articles a reader read before the loaded period are fetched when first needed.

The engine itself is not thread-safe; one lock serialises it per process (the
work is numpy, short, and mostly holds the GIL anyway).
"""

from __future__ import annotations

import abc
import gc
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from newsdesk.discovery.engines import recommend as engine
from newsdesk.discovery.models import ReadingHistory
from newsdesk.news import caching, extensions
from newsdesk.news.models import Article, is_live

log = logging.getLogger(__name__)
ARTICLE_FIELDS = ("id", "headline", "standfirst", "category__name", "published_at")
STATE_FIELDS = (*ARTICLE_FIELDS, "status")
# Reads replayed at start: popularity halves every 12 h, so older reads weigh nothing.
READS_REPLAY = timedelta(days=3)
# A reader's reads within this span before a new read count as co-reading.
COREAD_SPAN = timedelta(days=1)
# Rows written by other processes may carry times up to a flush or two in the past.
SLACK = timedelta(seconds=30)
# Reads fed per refresh; a backlog is worked off over the following refreshes.
MAX_READS_REPLAY = 100_000
MAX_READS_PER_REFRESH = 5_000
CHUNK = 500  # ids per IN (...) clause
# A reader's latest reads the engine uses (RecommendConfig.history_used).
HISTORY_USED = 50
# How often a process reads the change clock (one cache get).
CLOCK_SECONDS = 1.0


def engine_article(row: dict, *, group=None) -> engine.Article:
    """An engine article from a `values(*ARTICLE_FIELDS)` row."""
    published = row.get("published_at")
    return engine.Article(
        row["id"],
        category=row.get("category__name") or "",
        published=published.timestamp() if published else None,
        group=group,
        title=row.get("headline", ""),
        standfirst=row.get("standfirst", ""),
    )


def article_groups(ids: Iterable[int]) -> dict[int, object]:
    """Duplicate group of each article that has one (NEWSDESK_DUPLICATE_GROUPS).

    The engine then shows one article per group, and none of the group of a
    read or the current article. A group is read when the article is loaded or
    edited: an article that joins a group later is grouped from its next edit
    or the next process start.
    """
    lookup = extensions.get_duplicate_groups()
    ids = list(ids)
    return lookup(ids) if lookup is not None and ids else {}


class Recommender(abc.ABC):
    """What serving needs from a recommender; subclass and name it in settings."""

    @abc.abstractmethod
    def recommend(
        self,
        history: Sequence[engine.Read],
        *,
        now: datetime,
        current: int | None,
        exclude: Iterable[int],
        limit: int,
    ) -> list[engine.Recommendation]:
        """Personal list for `history` (oldest first); [] when there is nothing."""

    def fallback(
        self, *, now: datetime, current: int | None, exclude: Iterable[int], limit: int
    ) -> list[engine.Recommendation]:
        """The same list for every reader (cacheable pages); cold start by default."""
        return self.recommend(
            (), now=now, current=current, exclude=exclude, limit=limit
        )

    def loaded(self) -> bool:
        """False while the first use would be slow: serving then keeps the
        shared list and calls `start_loading()`."""
        return True

    def start_loading(self) -> None:
        """Begin whatever makes `loaded()` true; must not block for long."""
        return None


class EngineRecommender(Recommender):
    def __init__(self) -> None:
        cfg = engine.RecommendConfig(
            window_seconds=settings.NEWSDESK_RECOMMEND_WINDOW_HOURS * 3600.0,
            trending=settings.NEWSDESK_RECOMMEND_TRENDING,
        )
        self.engine = engine.RecommendationEngine(cfg)
        self._lock = threading.Lock()
        self._refreshed = 0.0  # time.monotonic() of the last refresh
        self._refreshed_wall = 0.0  # time.time() of its start
        self._clock_checked = 0.0  # time.monotonic() of the last clock read
        self._articles_at: datetime | None = None
        self._reads_at: datetime | None = None
        self._fed: set[tuple[int, int, datetime]] = set()
        self._ready = False
        # Held by the one load or refresh in progress (at most one per process).
        self._busy = threading.Lock()

    # ---------------------------------------------------------------- serving

    def loaded(self) -> bool:
        return self._ready

    def start_loading(self) -> None:
        self._job(self._load)

    def recommend(self, history, *, now, current, exclude, limit):
        if not self._ready:
            with self._busy:  # direct callers wait for the load
                if not self._ready:
                    self._load()
        elif self._stale():
            self._job(self._refresh)
        ids = [r.article_id for r in history[-HISTORY_USED:]]
        missing = self._fetch_articles([i for i in ids if i not in self.engine])
        with self._lock:
            self._apply_articles(*missing)
            return self.engine.recommend(
                history, now.timestamp(), limit=limit, current=current, exclude=exclude
            )

    # ------------------------------------------------------------------ state

    def _stale(self) -> bool:
        """Due for a refresh: its interval passed, or an article changed (on
        any host) since the last refresh started."""
        now = time.monotonic()
        if now - self._refreshed >= settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS:
            return True
        if now - self._clock_checked < CLOCK_SECONDS:
            return False
        self._clock_checked = now
        changed = cache.get(caching.CHANGE_CLOCK_KEY) or 0.0
        return changed >= self._refreshed_wall

    def _job(self, job) -> None:
        """Run `job` unless one is running: in a thread when
        NEWSDESK_RECOMMEND_BACKGROUND_LOAD (no request waits for the database
        work of a load or refresh), else here."""
        if not self._busy.acquire(blocking=False):
            return
        if not settings.NEWSDESK_RECOMMEND_BACKGROUND_LOAD:
            try:
                job()
            finally:
                self._busy.release()
            return
        threading.Thread(
            target=self._job_thread,
            args=(job,),
            name="newsdesk-recommender",
            daemon=True,
        ).start()

    def _job_thread(self, job) -> None:
        try:
            job()
        except Exception:
            log.exception("updating the recommender failed; retrying on next use")
        finally:
            connection.close()
            self._busy.release()

    def _load(self) -> None:
        now = datetime.now(tz=UTC)
        since = now - timedelta(days=settings.NEWSDESK_RECOMMEND_LOAD_DAYS)
        rows = list(
            Article.objects.live(now)
            .filter(published_at__gte=since)
            .order_by("published_at")
            .values(*ARTICLE_FIELDS)
        )
        with self._lock:
            self._apply_articles(rows, self._groups(rows), set())
        # Articles of unexpired histories, so a reader's first request does
        # not pay for vectors of what they read long ago.
        read = (
            ReadingHistory.objects.filter(
                read_at__gte=now
                - timedelta(days=settings.NEWSDESK_READING_HISTORY_DAYS)
            )
            .order_by()
            .values_list("article_id", flat=True)
            .distinct()
        )
        missing = self._fetch_articles([i for i in read if i not in self.engine])
        with self._lock:
            self._apply_articles(*missing)
        self._articles_at = now
        self._reads_at = now - READS_REPLAY
        self._feed_reads(now, replay=True)
        # The engine's state is hundreds of thousands of long-lived objects; a
        # full garbage collection walking them costs tens of milliseconds and
        # lands on whichever request triggers it. Frozen, it never walks them.
        gc.freeze()
        self._refreshed, self._refreshed_wall = time.monotonic(), now.timestamp()
        self._ready = True

    def _refresh(self) -> None:
        """Pull article changes and new reads; the database work runs outside
        the engine's lock, only the (short) updates inside it."""
        assert self._articles_at is not None  # noqa: S101 - _load ran
        self._refreshed, self._refreshed_wall = time.monotonic(), time.time()
        now = datetime.now(tz=UTC)
        changed = (
            Article.objects.filter(modified_at__gt=self._articles_at - SLACK)
            .order_by()
            .values(*STATE_FIELDS)
        )
        # Scheduled articles go live at their time without being saved again.
        due = (
            Article.objects.live(now)
            .filter(published_at__gt=self._articles_at - SLACK)
            .order_by()
            .values(*STATE_FIELDS)
        )
        fresh, gone = [], set()
        for row in {r["id"]: r for r in [*changed, *due]}.values():
            if is_live(row["status"], row["published_at"], now):
                fresh.append(row)
            elif row["id"] in self.engine:
                gone.add(row["id"])
        with self._lock:
            self._apply_articles(fresh, self._groups(fresh), gone)
        self._articles_at = now
        self._feed_reads(now, replay=False)

    def _feed_reads(self, now: datetime, *, replay: bool) -> None:
        """Feed reads written since the last feed as views, in time order."""
        assert self._reads_at is not None  # noqa: S101
        since = self._reads_at - (timedelta(0) if replay else SLACK)
        new = list(
            ReadingHistory.objects.filter(read_at__gt=since, read_at__lte=now)
            .order_by("read_at")
            .values_list("reader", "article_id", "read_at")[
                : MAX_READS_REPLAY if replay else MAX_READS_PER_REFRESH
            ]
        )
        new = [r for r in new if r not in self._fed]
        if not new:
            return
        earlier: dict[int, deque[tuple[int, datetime]]] = defaultdict(
            lambda: deque(maxlen=self.engine.config.coread_span)
        )
        if not replay:
            readers = sorted({reader for reader, _, _ in new})
            for start in range(0, len(readers), CHUNK):
                context = (
                    ReadingHistory.objects.filter(
                        reader__in=readers[start : start + CHUNK],
                        read_at__gte=new[0][2] - COREAD_SPAN,
                        read_at__lte=since,
                    )
                    .order_by("read_at")
                    .values_list("reader", "article_id", "read_at")
                )
                for reader, article_id, at in context:
                    earlier[reader].append((article_id, at))
        ids = {article_id for _, article_id, _ in new}
        missing = self._fetch_articles([i for i in ids if i not in self.engine])
        with self._lock:
            self._apply_articles(*missing)
            for reader, article_id, at in new:
                before = [a for a, t in earlier[reader] if at - t <= COREAD_SPAN]
                self.engine.record_view(article_id, at.timestamp(), history=before)
                earlier[reader].append((article_id, at))
        self._reads_at = max(self._reads_at, new[-1][2])
        horizon = self._reads_at - 2 * SLACK
        self._fed = {r for r in self._fed if r[2] > horizon}
        self._fed.update(r for r in new if r[2] > horizon)

    # ------------------------------------------------- rows <-> engine articles

    @staticmethod
    def _groups(rows: list[dict]) -> dict[int, object]:
        groups: dict[int, object] = {}
        for start in range(0, len(rows), CHUNK):
            groups.update(article_groups(r["id"] for r in rows[start : start + CHUNK]))
        return groups

    def _fetch_articles(self, ids: list[int]) -> tuple[list[dict], dict, set[int]]:
        """Rows, groups and the gone (not live) ids among `ids`; reads only."""
        rows: list[dict] = []
        now = datetime.now(tz=UTC)
        for start in range(0, len(ids), CHUNK):
            rows += (
                Article.objects.live(now)
                .filter(pk__in=ids[start : start + CHUNK])
                .values(*ARTICLE_FIELDS)
            )
        return rows, self._groups(rows), set(ids) - {r["id"] for r in rows}

    def _apply_articles(self, rows: list[dict], groups: dict, gone: set[int]) -> None:
        """Add or update `rows`; withdraw `gone`. Call with the lock held."""
        for row in rows:
            self.engine.add_article(engine_article(row, group=groups.get(row["id"])))
        for article_id in gone:
            if article_id in self.engine:
                self.engine.withdraw(article_id)
            else:
                # Known from now on, so never fetched again, and never shown.
                self.engine.add_article(engine.Article(article_id, withdrawn=True))

"""Site search quality on labelled news briefs: newsdesk's engine vs plain BM25.

`python -m newsdesk evaluate search --data FILE [--min-items 3] [--limit N]`

--data is JSONL in the Wikipedia current-events layout: `id`, `title`, `body`,
`published` (ISO 8601), `categories`, and `topics` (the story path of the item).
Every item is indexed as a published article (headline = title, text = body;
topics are NOT indexed). Every topic name held by at least --min-items items is
issued as a query, as a reader would type it; the relevant articles are the
items carrying that topic anywhere in their path.

The index is a throwaway database of the configured kind (an in-memory SQLite
database, or `newsdesk_evaluate_search` on PostgreSQL, created and dropped the
way the test runner does; the role needs CREATEDB), so the engine measured is
the site's own backend (`get_search_backend()`) with its settings. "Now" is
the newest item's day, for the recency prior.

Baselines over the same index and fields:
  * `bm25`: plain BM25 of the query's words, disjunctive (any word matches), the
    textbook form: FTS5's bm25() with default column weights on SQLite,
    ts_rank() over the same tsvector on PostgreSQL.
  * `bm25_and`: the same ranking over articles holding every word (FTS5's and
    plainto_tsquery's default reading of a multi-word query).

Prints one JSON line: {"queries", "engine": {"ndcg@10", "mrr", "recall@10"},
"baselines": {"bm25": {...}, "bm25_and": {...}}, "items", "database"}. MRR is
taken over the top 10; recall@10 divides by all relevant items.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from .data import jsonl_objects
from .ranking import ndcg_at

K = 10


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--data", type=Path, required=True, help="JSONL news briefs with topics"
    )
    parser.add_argument(
        "--min-items",
        type=int,
        default=3,
        help="a topic becomes a query when at least this many items carry it",
    )
    parser.add_argument("--limit", type=int, default=None, help="use the first N items")


def read_items(path: Path, *, limit: int | None = None) -> list[dict[str, Any]]:
    if not path.is_file():
        raise OSError(f"--data {path}: no such file")
    items = []
    for line_no, obj in jsonl_objects(
        path,
        limit=limit,
        valid=lambda o: bool(o.get("id")) and bool(o.get("title")),
        expected="id, title, body, published and topics",
    ):
        try:
            day = date.fromisoformat(str(obj.get("published", ""))[:10])
        except ValueError as exc:
            raise ValueError(
                f"--data {path}:{line_no}: bad published {obj.get('published')!r}"
            ) from exc
        obj["_published"] = datetime.combine(day, time(12), tzinfo=UTC)
        items.append(obj)
    if not items:
        raise ValueError(f"--data {path}: no items")
    return items


def topic_queries(
    items: Sequence[dict[str, Any]], *, min_items: int
) -> list[tuple[str, set[str]]]:
    """(topic name, ids of the items carrying it) for topics with enough items."""
    holders: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for topic in item.get("topics") or ():
            if isinstance(topic, str) and topic.strip():
                holders[topic.strip()].add(str(item["id"]))
    return sorted(
        ((t, ids) for t, ids in holders.items() if len(ids) >= min_items),
        key=lambda x: x[0],
    )


class Scores:
    def __init__(self) -> None:
        self.ndcg: list[float] = []
        self.rr: list[float] = []
        self.recall: list[float] = []

    def add(self, ranked: Sequence[str], relevant: set[str]) -> None:
        top = list(ranked[:K])
        self.ndcg.append(ndcg_at(top, relevant, K))
        self.rr.append(
            next((1.0 / i for i, x in enumerate(top, start=1) if x in relevant), 0.0)
        )
        self.recall.append(sum(1 for x in top if x in relevant) / len(relevant))

    def summary(self) -> dict[str, float | None]:
        def mean(values: list[float]) -> float | None:
            return round(sum(values) / len(values), 4) if values else None

        return {
            "ndcg@10": mean(self.ndcg),
            "mrr": mean(self.rr),
            "recall@10": mean(self.recall),
        }


def _index(items: Sequence[dict[str, Any]]) -> dict[int, str]:
    """Store the items as published articles; article id -> item id."""
    from django.db import transaction

    from newsdesk.news.actions import do_save_category
    from newsdesk.news.models import Article, Category

    categories: dict[str, Category] = {}
    rows = []
    with transaction.atomic():
        for n, item in enumerate(items):
            name = str((item.get("categories") or ["News"])[0] or "News")[:100]
            if name not in categories:
                categories[name] = do_save_category(
                    Category(name=name, slug=f"c{len(categories)}")
                )
            rows.append(
                Article(
                    headline=str(item["title"])[:300],
                    slug=f"i{n}",
                    body_text=str(item.get("body") or ""),
                    category=categories[name],
                    status=Article.Status.PUBLISHED,
                    published_at=item["_published"],
                )
            )
        # bulk_create: no save() hooks (no HTML to sanitise, no discovery indexing).
        created = Article.objects.bulk_create(rows, batch_size=1000)
    return {a.pk: str(item["id"]) for a, item in zip(created, items, strict=True)}


def _baseline(require_all: bool) -> Callable[[str], list[int]]:
    from django.db import connection

    from newsdesk.news.search import text

    def words(query: str) -> list[str]:
        return [t.word for t in text.parse(query).terms]

    if connection.vendor == "sqlite":
        sql = (
            "SELECT rowid FROM news_article_fts WHERE news_article_fts MATCH %s "
            "ORDER BY bm25(news_article_fts) LIMIT %s"
        )

        def run(query: str) -> list[int]:
            match = (" AND " if require_all else " OR ").join(
                f'"{w}"' for w in words(query)
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [match, K])
                return [r[0] for r in cursor.fetchall()]

        return run
    if connection.vendor == "postgresql":
        from newsdesk.news.search.postgres import CONFIG, VECTOR

        joiner = " && " if require_all else " || "

        def run(query: str) -> list[int]:
            parts = words(query)
            if not parts:
                return []
            tsquery = joiner.join(["plainto_tsquery(%s, %s)"] * len(parts))
            params: list[Any] = []
            for w in parts:
                params += [CONFIG, w]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM (SELECT id, {VECTOR} AS v, {tsquery} AS q "  # noqa: S608 - constants
                    "FROM news_article) s WHERE v @@ q "
                    "ORDER BY ts_rank(v, q) DESC, id LIMIT %s",
                    [*params, K],
                )
                return [r[0] for r in cursor.fetchall()]

        return run
    raise ValueError(f"no bm25 baseline for the {connection.vendor} database")


def evaluate(
    items: Sequence[dict[str, Any]], *, min_items: int, stream: Any
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import override_settings

    from newsdesk.news.search import get_search_backend

    queries = topic_queries(items, min_items=min_items)
    if not queries:
        raise ValueError(f"no topic is carried by {min_items} or more items")
    ids = _index(items)
    now = max(item["_published"] for item in items)
    backend = get_search_backend()
    systems: dict[str, Callable[[str], list[int]]] = {
        "engine": lambda q: [
            a.pk for a, _ in backend.search(q, offset=0, limit=K, now=now).hits
        ],
        "bm25": _baseline(require_all=False),
        "bm25_and": _baseline(require_all=True),
    }
    scores = {name: Scores() for name in systems}
    # The figures measure ranking, not this machine's load: a search stopped by
    # the site's time limit would count as a miss, so the limit is lifted here.
    with override_settings(NEWSDESK_SEARCH_TIMEOUT_MS=600_000):
        for n, (topic, relevant) in enumerate(queries, start=1):
            for name, system in systems.items():
                ranked = [ids[pk] for pk in system(topic) if pk in ids]
                scores[name].add(ranked, relevant)
            if n % 50 == 0:
                stream.write(f"{n}/{len(queries)} queries\n")
    return {
        "queries": len(queries),
        "engine": scores["engine"].summary(),
        "baselines": {
            "bm25": scores["bm25"].summary(),
            "bm25_and": scores["bm25_and"].summary(),
        },
        "items": len(items),
        "database": connection.vendor,
    }


def run(options: dict[str, Any], stderr: Any = None) -> dict[str, Any]:
    from django.db import connection

    stream = stderr if stderr is not None else sys.stderr
    items = read_items(Path(options["data"]), limit=options.get("limit"))
    min_items = int(options.get("min_items") or 3)
    if not topic_queries(items, min_items=min_items):
        raise ValueError(f"no topic is carried by {min_items} or more items")
    # A throwaway database of the configured kind, created and dropped as the
    # test runner does: the site's own data is never touched.
    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":  # SQLite's is in memory, private to us
        # A name of its own, never the test runner's test_<name>.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            "newsdesk_evaluate_search"
        )
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return evaluate(items, min_items=min_items, stream=stream)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

"""Related-article quality on labelled data: newsdesk's engine vs two baselines.

`python -m newsdesk evaluate related --data FILE [--pairs FILE] [--k 10]`

--data is a labelled corpus, either
  * CSV in the UCI News Aggregator layout (ID, TITLE, CATEGORY, STORY and
    TIMESTAMP in epoch ms or TIMESTAMP_ISO), or
  * JSONL with `id`, `title`, optional `body`/`standfirst`/`tags`, `published`
    (ISO 8601), `category` (or `categories`, first one used) and a story label:
    `story`, else `topic`, else the deepest (last) element of `topics`.
Items without a label stay in the index as distractors but are not queries;
neither is an item that is alone in its story (it has nothing to find).
Relevant = same story label. Everything runs in an isolated in-memory index.

--pairs adds duplicate detection figures at the engine's configured threshold:
  * MSRP layout (tab-separated Quality, #1 ID, #2 ID, #1 String, #2 String):
    self-contained labelled pairs; only the labelled pairs are scored.
  * CSV with id_a,id_b (texts from --data) and optionally a 0/1 `label`
    column. Without `label` every row is a duplicate pair and the list is taken
    as complete: every other pair of --data items counts as not a duplicate.

--stories adds B-cubed precision/recall/F1 and cluster counts of the story
engine (engines/stories.py) against the labels (labelled items only), twice:
"stories" places every article in (time, id) order on the full index (batch, as
`discovery rebuild` does), "stories_streaming" adds the articles one by one in
time order to an empty related index and story engine, as the site does when
articles are published (each article sees only earlier ones; IDF grows).

Prints one JSON line: {"n", "corpus", "engine", "baselines", ["stories",
"stories_streaming"], ["duplicates"]}; "n" counts the queries.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from newsdesk.discovery.engines.related import Article, RelatedEngine
from newsdesk.discovery.engines.stories import StoryEngine

from .data import jsonl_objects
from .ranking import RankingScores, pair_scores

K = 10
UCI_COLUMNS = {"ID", "TITLE", "STORY"}
MSRP_HEADER = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]


@dataclass(frozen=True, slots=True)
class Labelled:
    article: Article
    label: str | None


def add_arguments(parser: Any) -> None:
    parser.add_argument("--data", type=Path, help="labelled corpus: UCI CSV or JSONL")
    parser.add_argument(
        "--pairs", type=Path, help="duplicate pairs: MSRP or id_a,id_b CSV"
    )
    parser.add_argument("--limit", type=int, default=None, help="use the first N items")
    parser.add_argument(
        "--stories",
        action="store_true",
        help="also score the engine's story clusters (B-cubed, labelled items)",
    )


class _Stream:
    """Lets tqdm redraw in place through Django's OutputWrapper (which would
    otherwise append a newline to every write)."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, text: str) -> None:
        try:
            self.out.write(text, ending="")
        except TypeError:
            self.out.write(text)

    def flush(self) -> None:
        getattr(self.out, "flush", lambda: None)()


# -- reading ------------------------------------------------------------------------
def _parse_time(value: Any, where: str) -> datetime:
    if value in (None, ""):
        raise ValueError(f"{where}: missing publication time")
    try:
        if isinstance(value, int | float) or str(value).isdigit():
            seconds = float(value) / (1000.0 if float(value) > 1e11 else 1.0)
            return datetime.fromtimestamp(seconds, tz=UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: bad publication time {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_labelled(path: Path, *, limit: int | None = None) -> list[Labelled]:
    """Read a UCI-layout CSV or a JSONL corpus; see the module docstring."""
    if not path.is_file():
        raise OSError(f"--data {path}: no such file")
    with path.open(encoding="utf-8-sig") as f:
        first = f.readline()
    if first.lstrip().startswith("{"):
        items = _read_jsonl(path, limit)
    else:
        items = _read_uci(path, limit)
    if not items:
        raise ValueError(f"--data {path}: no items")
    return items


def _read_uci(path: Path, limit: int | None) -> list[Labelled]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = set(reader.fieldnames or ())
        missing = UCI_COLUMNS - header
        if missing or not header & {"TIMESTAMP", "TIMESTAMP_ISO"}:
            raise ValueError(
                f"--data {path}: expected a JSONL file or a CSV with the UCI News "
                f"Aggregator header (ID, TITLE, CATEGORY, STORY, TIMESTAMP); "
                f"missing {sorted(missing) or ['TIMESTAMP']}"
            )
        items = []
        for line, row in enumerate(reader, start=2):
            if limit is not None and len(items) >= limit:
                break
            when = row.get("TIMESTAMP") or row.get("TIMESTAMP_ISO")
            article = Article(
                id=row["ID"],
                title=row["TITLE"] or "",
                category=row.get("CATEGORY") or "",
                published=_parse_time(when, f"{path}:{line}"),
            )
            items.append(Labelled(article, row["STORY"] or None))
    return items


def _label(obj: dict[str, Any]) -> str | None:
    for key in ("story", "topic"):
        if obj.get(key):
            return str(obj[key])
    topics = obj.get("topics") or []
    return str(topics[-1]) if topics else None


def _read_jsonl(path: Path, limit: int | None) -> list[Labelled]:
    items = []
    for line_no, obj in jsonl_objects(
        path,
        limit=limit,
        valid=lambda o: "id" in o and "title" in o,
        expected="id, title and published",
    ):
        category = obj.get("category") or (obj.get("categories") or [""])[0]
        when = obj.get("published")
        article = Article(
            id=obj["id"],
            title=obj.get("title") or "",
            body=obj.get("body") or "",
            standfirst=obj.get("standfirst") or "",
            tags=tuple(obj.get("tags") or ()),
            category=category or "",
            published=_parse_time(when, f"{path}:{line_no}") if when else None,
        )
        items.append(Labelled(article, _label(obj)))
    return items


def read_pairs(path: Path) -> tuple[str, list[tuple[str, str, int]], dict[str, str]]:
    """Returns (layout, [(id_a, id_b, label)], texts by id for MSRP)."""
    if not path.is_file():
        raise OSError(f"--pairs {path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline().rstrip("\r\n")
        if first.split("\t") == MSRP_HEADER:
            texts: dict[str, str] = {}
            pairs = []
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) != 5:
                    continue
                quality, id1, id2, s1, s2 = row
                texts[id1], texts[id2] = s1, s2
                pairs.append((id1, id2, int(quality)))
            return "msrp", pairs, texts
        header = next(csv.reader([first]))
        if not {"id_a", "id_b"} <= set(header):
            raise ValueError(
                f"--pairs {path}: expected the MSRP header ({' / '.join(MSRP_HEADER)}) "
                "or a CSV header with id_a,id_b[,label]"
            )
        reader = csv.DictReader(f, fieldnames=header)
        pairs = [
            (row["id_a"], row["id_b"], int(row.get("label") or 1)) for row in reader
        ]
        layout = "labelled" if "label" in header else "positives"
        return layout, pairs, {}


# -- ranking ------------------------------------------------------------------------
def _tfidf_rankings(
    articles: list[Article], queries: list[int], k: int, bar: Any
) -> list:
    """Plain TF-IDF cosine (scikit-learn defaults) over headline and body."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [" ".join(filter(None, (a.title, a.standfirst, a.body))) for a in articles]
    matrix = TfidfVectorizer().fit_transform(texts)
    out = []
    for start in range(0, len(queries), 512):
        rows = queries[start : start + 512]
        sims = (matrix[rows] @ matrix.T).toarray()
        sims[np.arange(len(rows)), rows] = -1.0
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        out.extend([[articles[j].id for j in r] for r in top.tolist()])
        bar.update(len(rows))
    return out


def _newest_rankings(articles: list[Article], queries: list[int], k: int) -> list:
    """What the seed site showed: the newest articles of the same category."""
    by_cat: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_cat[a.category].append(a)
    for group in by_cat.values():
        group.sort(
            key=lambda a: a.published or datetime.min.replace(tzinfo=UTC), reverse=True
        )
    out = []
    for q in queries:
        me = articles[q]
        out.append([a.id for a in by_cat[me.category][: k + 1] if a.id != me.id][:k])
    return out


def evaluate_ranking(
    items: list[Labelled], *, stream: Any = None, k: int = K, stories: bool = False
) -> dict[str, Any]:
    articles = [i.article for i in items]
    members: dict[str, set[Hashable]] = defaultdict(set)
    for it in items:
        if it.label is not None:
            members[it.label].add(it.article.id)
    queries = [
        n
        for n, it in enumerate(items)
        if it.label is not None and len(members[it.label]) > 1
    ]
    engine = RelatedEngine()
    bar_opts = {"file": stream, "disable": stream is None, "leave": False}
    engine.build(
        articles,
        progress=lambda it, **kw: tqdm(it, desc="index", **kw, **bar_opts),
        total=len(articles),
    )
    scores = {
        "engine": RankingScores(),
        "tfidf": RankingScores(),
        "newest": RankingScores(),
    }
    relevant = [members[items[q].label] - {items[q].article.id} for q in queries]  # type: ignore[index]
    for q, rel in tqdm(
        zip(queries, relevant, strict=True),
        total=len(queries),
        desc="engine",
        **bar_opts,
    ):
        ranked = [m.id for m in engine.related(articles[q].id, k)]
        scores["engine"].add(ranked, rel)
    with tqdm(total=len(queries), desc="tfidf", **bar_opts) as bar:
        tfidf = _tfidf_rankings(articles, queries, k, bar)
    for ranked, rel in zip(tfidf, relevant, strict=True):
        scores["tfidf"].add(ranked, rel)
    for ranked, rel in zip(
        _newest_rankings(articles, queries, k), relevant, strict=True
    ):
        scores["newest"].add(ranked, rel)
    extra = {}
    if stories:
        gold = {it.article.id: it.label for it in items if it.label is not None}
        batch = StoryEngine()
        batch.build(
            articles,
            engine,
            progress=lambda it, **kw: tqdm(it, desc="stories", **kw, **bar_opts),
        )
        extra["stories"] = bcubed(gold, {i: batch.story_of(i) for i in gold})
        streamed = stream_stories(articles, bar_opts=bar_opts)
        extra["stories_streaming"] = bcubed(
            gold, {i: streamed.story_of(i) for i in gold}
        )
    return {
        "n": len(queries),
        "corpus": len(items),
        "engine": scores["engine"].summary(),
        "baselines": {
            "same_category_newest": scores["newest"].summary(),
            "tfidf": scores["tfidf"].summary(),
        },
        **extra,
    }


def stream_stories(
    articles: list[Article], *, bar_opts: dict[str, Any] | None = None
) -> StoryEngine:
    """The site's incremental mode: publish `articles` one by one in time order
    into an empty related index and story engine."""
    engine, stories = RelatedEngine(), StoryEngine()
    ordered = sorted(
        articles,
        key=lambda a: (a.published or datetime.min.replace(tzinfo=UTC), str(a.id)),
    )
    for article in tqdm(ordered, desc="streaming", **(bar_opts or {"disable": True})):
        engine.add(article)
        stories.add(article, engine)
    return stories


def bcubed(gold: dict[Hashable, Any], found: dict[Hashable, Any]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels."""
    by_gold: dict[Any, set[Hashable]] = defaultdict(set)
    by_found: dict[Any, set[Hashable]] = defaultdict(set)
    for item, label in gold.items():
        by_gold[label].add(item)
        by_found[found[item]].add(item)
    precision = recall = 0.0
    for item in gold:
        same = len(by_gold[gold[item]] & by_found[found[item]])
        precision += same / len(by_found[found[item]])
        recall += same / len(by_gold[gold[item]])
    precision, recall = precision / len(gold), recall / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "clusters": len(by_found),
        "gold_clusters": len(by_gold),
    }


# -- duplicates ---------------------------------------------------------------------
def evaluate_duplicates(
    path: Path, items: list[Labelled] | None, *, stream: Any = None
) -> dict[str, Any]:
    layout, pairs, texts = read_pairs(path)
    engine = RelatedEngine()
    bar_opts = {"file": stream, "disable": stream is None, "leave": False}
    if layout == "msrp":
        articles: Iterable[Article] = [Article(id=i, title=t) for i, t in texts.items()]
    else:
        if items is None:
            raise ValueError(f"--pairs {path}: this layout takes its texts from --data")
        articles = [it.article for it in items]
        known = {a.id for a in articles}
        unknown = [p for p in pairs if p[0] not in known or p[1] not in known]
        if unknown:
            raise ValueError(
                f"--pairs {path}: {len(unknown)} pairs name ids absent from --data, "
                f"e.g. {unknown[0][:2]}"
            )
    engine.build(
        articles,
        progress=lambda it, **kw: tqdm(it, desc="duplicates", **kw, **bar_opts),
    )
    gold = [(a, b) for a, b, label in pairs if label]
    extra: dict[str, Any] = {}
    if layout == "positives":
        # A positives-only list judges only the articles it names (the BBC list,
        # for instance, is every same-headline pair, so a re-headlined copy is
        # simply absent). As with pooled relevance judgements, predicted pairs
        # with an unjudged article are left out of precision and counted apart.
        judged = {x for a, b, _ in pairs for x in (a, b)}
        predicted = []
        unjudged = 0
        for group in engine.duplicate_groups():
            for a, b in combinations(group, 2):
                if a in judged and b in judged:
                    predicted.append((a, b))
                else:
                    unjudged += 1
        extra["unjudged_predicted"] = unjudged
    else:
        predicted = [(a, b) for a, b, _ in pairs if engine.is_duplicate(a, b)]
    return {
        **pair_scores(predicted, gold),
        "threshold": engine.config.duplicates.threshold,
        "pairs": len(pairs),
        "layout": layout,
        **extra,
    }


def run(options: dict[str, Any], stderr: Any = None) -> dict[str, Any]:
    data: Path | None = options.get("data")
    pairs: Path | None = options.get("pairs")
    if data is None and pairs is None:
        raise ValueError("give --data FILE (a labelled corpus) and/or --pairs FILE")
    stream = _Stream(stderr if stderr is not None else sys.stderr)
    items = read_labelled(Path(data), limit=options.get("limit")) if data else None
    figures: dict[str, Any] = {"n": 0, "corpus": 0, "engine": None, "baselines": None}
    if items is not None:
        if any(it.label for it in items):
            figures.update(
                evaluate_ranking(
                    items, stream=stream, stories=bool(options.get("stories"))
                )
            )
        elif pairs is None:
            raise ValueError(
                f"--data {data}: no item carries a story label (STORY column, or "
                "story/topic/topics in JSONL), so there is nothing to rank against"
            )
        else:
            figures["corpus"] = len(items)
    if pairs is not None:
        figures["duplicates"] = evaluate_duplicates(Path(pairs), items, stream=stream)
    return figures

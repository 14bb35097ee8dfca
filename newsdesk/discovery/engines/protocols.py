"""What the site needs from a related-articles engine (NEWSDESK_RELATED_ENGINE).

`RelatedEngine` is the built-in one; another engine named in settings must
offer the same methods with the same contract (see `engines/related.py` for
each one's meaning) and pass `tests/discovery/test_engine_contract.py`. The
site creates engines and loads saved ones only through the class named in
settings (`related/index.py`: `engine_class`, `engine_factory`, `load_engine`), so a
custom engine stays itself across saves and reloads. The story engine works
on any engine that satisfies this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .article import Article


class MatchLike(Protocol):
    """One entry of `related`: its id, ranking score and plain similarity."""

    @property
    def id(self) -> Hashable: ...

    @property
    def score(self) -> float: ...

    @property
    def similarity(self) -> float: ...


@runtime_checkable
class RelatedEngineProtocol(Protocol):
    # -- writes
    def build(
        self,
        articles: Iterable[Article],
        *,
        progress: Callable[..., Iterable[Article]] | None = None,
        total: int | None = None,
    ) -> None: ...

    def add(self, article: Article) -> None: ...

    def remove(self, article_id: Hashable) -> None: ...

    # -- reads (unknown ids raise KeyError)
    def related(self, article_id: Hashable, k: int = 5) -> Sequence[MatchLike]: ...

    def duplicates_of(self, article_id: Hashable) -> list[Hashable]: ...

    def ids(self) -> list[Hashable]: ...

    def __contains__(self, article_id: object) -> bool: ...

    def __len__(self) -> int: ...

    # -- what the story engine clusters on
    def neighbours(
        self, article_id: Hashable, k: int = 50
    ) -> tuple[list[Hashable], np.ndarray, np.ndarray]: ...

    def vector(self, article_id: Hashable) -> tuple[np.ndarray, np.ndarray]: ...

    def timestamp(self, article_id: Hashable) -> float: ...

    def half_life_days(self) -> float: ...

    # -- persistence: bytes without pickle; from_bytes raises ValueError on
    # anything it did not write
    def to_bytes(self) -> bytes: ...

    @classmethod
    def from_bytes(cls, data: bytes) -> RelatedEngineProtocol: ...

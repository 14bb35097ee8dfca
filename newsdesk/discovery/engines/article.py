"""The one article dataclass every engine takes (related, duplicates, stories,
recommend). Pure Python, no Django: adapters map ORM rows to it.

Each engine reads the fields it needs and ignores the others: the related
engine ranks on the text fields, tags, category and `published`; the
recommender on `category`, `published`, `group`, `withdrawn` and either
`vector` or a vector of the text fields.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Time = float | datetime  # seconds since the epoch, or a timezone-aware datetime


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the engines see it.

    `published` is a timezone-aware datetime or epoch seconds; `None` means
    unknown (the related engine then takes the time it is added). `category`
    is "" when there is none. `group` is its duplicate group or story (the
    recommender shows one article per group); `vector` an optional ready-made
    content vector for the recommender.
    """

    id: Hashable
    title: str = ""
    body: str = ""
    standfirst: str = ""
    tags: tuple[str, ...] = ()
    category: str = ""
    published: Time | None = None
    group: Hashable | None = None
    vector: Sequence[float] | Any | None = None
    withdrawn: bool = False

    def text(self) -> str:
        """Headline, standfirst and body as one text (fields that are set)."""
        return "\n".join(f for f in (self.title, self.standfirst, self.body) if f)


def timestamp(value: Time) -> float:
    """Epoch seconds of `value`; a naive datetime is refused (its zone is a guess)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(
                "Article.published must be timezone-aware (UTC): a naive datetime"
            )
        return value.timestamp()
    return float(value)

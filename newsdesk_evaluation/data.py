"""Reading the labelled data files the evaluations take (--data)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def jsonl_objects(
    path: Path,
    *,
    limit: int | None,
    valid: Callable[[dict[str, Any]], bool],
    expected: str,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSON Lines file, up to
    `limit` objects; a line that is not JSON, or an object `valid` refuses, stops
    with a ValueError naming the file, the line and `expected`."""
    count = 0
    with path.open(encoding="utf-8-sig") as f:
        for line_no, line in enumerate(f, start=1):
            if limit is not None and count >= limit:
                break
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"--data {path}:{line_no}: not JSON ({exc})") from exc
            if not isinstance(obj, dict) or not valid(obj):
                raise ValueError(
                    f"--data {path}:{line_no}: each line must be an object with at "
                    f"least {expected}"
                )
            count += 1
            yield line_no, obj

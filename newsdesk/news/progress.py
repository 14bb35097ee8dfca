"""Progress for long commands: a tqdm bar on a terminal, plain lines otherwise.

A bar redrawn with carriage returns is noise in a log file or a CI transcript, so
when the stream is not a terminal the same calls print one line per tenth of the
work (and at most one every few seconds), which greps and reads well.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any

from tqdm import tqdm

PLAIN_EVERY_SECONDS = 5.0


class PlainProgress:
    """The part of tqdm's interface the commands use, printing plain lines."""

    def __init__(
        self,
        iterable: Iterable | None,
        *,
        desc: str,
        total: int | None,
        unit: str,
        file: IO[str],
        unit_scale: float = 1,
    ):
        self.unit_scale = unit_scale
        self.iterable = iterable
        self.desc = desc
        self.total = total
        self.unit = unit
        self.file = file
        self.n = 0
        self._last_step = -1
        self._last_time = time.monotonic()
        self._closed = False

    def __iter__(self) -> Iterator:
        assert self.iterable is not None
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if self.total:
            step = min(10, self.n * 10 // self.total)
            if step > self._last_step and step < 10:
                self._last_step = step
                self._line()
                self._last_time = now
                return
        if now - self._last_time >= PLAIN_EVERY_SECONDS:
            self._line()
            self._last_time = now

    def _scaled(self, value: int) -> str:
        return f"{value * self.unit_scale:,.0f}"

    def _line(self) -> None:
        n = self._scaled(self.n)
        if self.total:
            pct = 100 * self.n // self.total
            text = f"{self.desc}: {pct}% ({n}/{self._scaled(self.total)} {self.unit})"
        else:
            text = f"{self.desc}: {n} {self.unit}"
        print(text, file=self.file, flush=True)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        total = f"/{self._scaled(self.total)}" if self.total else ""
        print(
            f"{self.desc}: done ({self._scaled(self.n)}{total} {self.unit})",
            file=self.file,
        )


def progress(
    iterable: Iterable | None = None,
    *,
    desc: str,
    total: int | None = None,
    unit: str = "item",
    file: Any = None,
    disable: bool = False,
    unit_scale: float = 1,
) -> Any:
    """A progress wrapper: iterate it, or call `.update(n)` and `.close()`.

    `file` is a stream or a Django OutputWrapper (self.stderr in a command).
    """
    stream = getattr(file, "_out", file) or sys.stderr
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if disable:
        return tqdm(iterable, total=total, disable=True)
    if hasattr(stream, "isatty") and stream.isatty():
        return tqdm(
            iterable,
            desc=desc,
            total=total,
            unit=unit,
            file=stream,
            unit_scale=unit_scale,
        )
    return PlainProgress(
        iterable, desc=desc, total=total, unit=unit, file=stream, unit_scale=unit_scale
    )

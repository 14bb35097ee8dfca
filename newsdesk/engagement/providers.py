"""The "Most read" list-block provider for article and home pages (news.blocks)."""

from __future__ import annotations

import threading

from django.conf import settings

from newsdesk.engagement import selectors

FALLBACK = ("24h", "7d")  # the article page shows 24 h, or 7 d when 24 h is thin


class MostReadProvider:
    """`provider(*, request, article, exclude, limit)` per the news.blocks contract.

    `title` names the window actually shown; it is per thread because the
    block reads it after the call and requests run in parallel threads.
    """

    def __init__(self, windows: tuple[str, ...] = FALLBACK):
        self.windows = windows
        self._local = threading.local()

    @property
    def title(self) -> str:
        window = getattr(self._local, "window", self.windows[0])
        name = (
            "Trending"
            if settings.NEWSDESK_MOST_READ_ORDER == "trending"
            else "Most read"
        )
        return f"{name} ({selectors.WINDOW_LABELS[window]})"

    def __call__(self, *, request, article, exclude, limit):
        order = settings.NEWSDESK_MOST_READ_ORDER
        exclude = set(exclude) | ({article.pk} if article is not None else set())
        best: list = []
        for window in self.windows:
            items = selectors.most_read(
                window=window, order=order, exclude=exclude, limit=limit
            )
            if len(items) > len(best):
                best = items
                self._local.window = window
            # A block's worth is enough: a caller asking for spares (news.blocks
            # shares this list between pages) does not change the window.
            if len(items) >= min(limit, settings.NEWSDESK_BLOCK_SIZE):
                break
        if not best:
            self._local.window = self.windows[0]
        return best


most_read = MostReadProvider()
# The same list on every page: news.blocks asks once every few seconds, for ten
# spares (what the page already shows is dropped).
most_read.shared_list = 10

"""Reading history from engagement's counted views (engagement.signals)."""

from __future__ import annotations

from newsdesk.discovery import recommend_actions
from newsdesk.discovery.recommend_selectors import PREFERENCE_COOKIE, personalisation


def record_history(sender, *, request, hit, **kwargs) -> None:
    """Buffer the read when the beacon's reader allows personalisation.

    The reader's choice comes from the beacon request itself: its preference
    cookie, else `Sec-GPC: 1` meaning no. A reader without a cookie is hashed
    by IP + UA for counting, but their history belongs to the cookie issued
    with this response (`hit.alias`).
    """
    choice = request.COOKIES.get(PREFERENCE_COOKIE)
    gpc = request.headers.get("Sec-GPC", "").strip() == "1"
    if not personalisation(cookie=choice, gpc=gpc).enabled:
        return
    reader = hit.alias if hit.alias is not None else hit.reader
    recommend_actions.record_read(reader, hit.article_id, hit.at)

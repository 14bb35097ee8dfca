"""Discovery's panel on the newsroom dashboard: returning readers."""

from __future__ import annotations

from newsdesk.discovery.recommend import selectors
from newsdesk.news.dashboard import Panel


def returning_readers(request) -> Panel:
    returning, total = selectors.returning_readers(days=7)
    share = returning / total if total else 0
    return Panel(
        key="returning-readers",
        title="Returning readers, last 7 days",
        columns=("Readers", "Returning", "Share"),
        rows=[(f"{total:,}", f"{returning:,}", f"{share:.0%}")],
        summary=f"{share:.0%} of readers came back on another day "
        "(readers with the site's cookie; a lower bound).",
        order=35,
        extra={"big": f"{share:.0%}"},
    )

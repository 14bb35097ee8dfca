"""Engagement's panels on the newsroom dashboard (newsdesk.news.dashboard)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html

from newsdesk.engagement import selectors
from newsdesk.news.dashboard import Panel, bar_chart, line_chart


def views_per_hour(request) -> Panel:
    hours, series = selectors.views_per_hour(hours=48)
    labels = [h.strftime("%H:00") for h in hours]
    names = list(series)
    return Panel(
        key="views-per-hour",
        title="Views per hour, last 48 hours (UTC)",
        chart=line_chart(
            "nd-views-hour", "Views per hour, last 48 hours", labels, series
        ),
        columns=("Hour (UTC)", *names),
        rows=[
            (h.strftime("%d %b %H:00"), *(series[n][i] for n in names))
            for i, h in enumerate(hours)
        ][::-1],
        summary=f"{sum(series['All sections']):,} views in 48 hours; "
        f"{series['All sections'][-1]:,} so far this hour.",
        order=10,
        wide=True,
        extra={"legend": names},
    )


def _top(window: str, order: int) -> Panel:
    top = selectors.top_articles_now(window=window, limit=10)
    label = selectors.WINDOW_LABELS[window]
    return Panel(
        key=f"top-{window}",
        title=f"Top articles, last {label}",
        columns=("Article", "Views", "Before", "Trend"),
        rows=[
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:news_article_change", args=[t.article.pk]),
                    t.article.headline,
                ),
                f"{t.views:,}",
                f"{t.previous:,}",
                t.trend,
            )
            for t in top
        ],
        summary=f"Trend compares with the {label} before."
        if top
        else f"No views in the last {label}.",
        order=order,
    )


def top_last_hour(request) -> Panel:
    return _top("1h", 20)


def top_last_day(request) -> Panel:
    return _top("24h", 21)


def reactions(request) -> Panel:
    counts = selectors.reactions_breakdown(days=7)
    labels = [k.label for k, _ in counts]
    values = [n for _, n in counts]
    return Panel(
        key="reactions",
        title="Reactions, last 7 days",
        chart=bar_chart(
            "nd-reactions", "Reactions by kind, last 7 days", labels, values
        ),
        columns=("Reaction", "Count"),
        rows=[(f"{k.emoji} {k.label}", n) for k, n in counts],
        summary=f"{sum(values):,} reactions in 7 days.",
        order=30,
    )

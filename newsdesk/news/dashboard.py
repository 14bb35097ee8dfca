"""The newsroom dashboard (the admin's front page) and its server-side SVG charts.

Panels come from the apps that own the data, as callables named in
NEWSDESK_DASHBOARD_PANELS (`panel(request) -> Panel | None`), the way article
extras do: news shows articles per day, engagement views and reactions,
discovery returning readers, ingest feed health. A panel that fails is logged
and left out; the dashboard never fails because one source did.

Charts are drawn here as SVG (no script, no third-party library): each has an
accessible name and description, and every panel carries the same numbers as
a table for screen readers and for copying.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 180, 44, 22, 10


@dataclass
class Panel:
    key: str
    title: str
    chart: SafeString | None = None
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()
    summary: str = ""
    order: int = 50
    wide: bool = False
    extra: dict = field(default_factory=dict)


def panels(request) -> list[Panel]:
    found = []
    for path in settings.NEWSDESK_DASHBOARD_PANELS:
        try:
            panel = import_string(path)(request)
        except Exception:  # one failing source must not blank the dashboard
            log.exception("dashboard panel %s failed", path)
            continue
        if panel is not None:
            found.append(panel)
    return sorted(found, key=lambda p: p.order)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step * 4:
            return step * 4
    magnitude = 10 ** (len(str(int(value))) - 1)
    return -(-value // magnitude) * magnitude


def _frame(chart_id: str, title: str, description: str, body: str) -> SafeString:
    return format_html(
        '<svg class="nd-chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-t {id}-d" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        id=chart_id,
        title=title,
        desc=description,
        body=mark_safe(body),  # noqa: S308 - built below from numbers and escaped labels
    )


def _axis(top: float) -> str:
    lines = []
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - PAD_BOTTOM - plot_h * i / 4
        lines.append(
            f'<line class="nd-grid" x1="{PAD_LEFT}" x2="{WIDTH}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="nd-tick" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value:,.0f}</text>'
        )
    return "".join(lines)


def line_chart(
    chart_id: str, title: str, labels: Sequence[str], series: dict[str, Sequence[float]]
) -> SafeString:
    """Lines over labelled points (e.g. hours); the first series is the main one."""
    count = max((len(v) for v in series.values()), default=0)
    top = _nice_max(max((max(v, default=0) for v in series.values()), default=0))
    plot_w, plot_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(count - 1, 1)
    body = [_axis(top)]
    for index, (name, values) in enumerate(series.items()):
        points = " ".join(
            f"{PAD_LEFT + i * step:.1f},{HEIGHT - PAD_BOTTOM - plot_h * v / top:.1f}"
            for i, v in enumerate(values)
        )
        body.append(
            format_html(
                '<polyline class="nd-line nd-s{}" points="{}"><title>{}</title>'
                "</polyline>",
                index,
                points,
                name,
            )
        )
    every = max(1, count // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                format_html(
                    '<text class="nd-tick" x="{}" y="{}" text-anchor="middle">{}'
                    "</text>",
                    f"{PAD_LEFT + i * step:.1f}",
                    HEIGHT - 6,
                    label,
                )
            )
    totals = ", ".join(f"{name}: {sum(v):,.0f} in total" for name, v in series.items())
    description = (
        f"{count} points from {labels[0]} to {labels[-1]}; {totals}; highest "
        f"{max(max(v, default=0) for v in series.values()):,.0f}."
        if count
        else "No data yet."
    )
    return _frame(chart_id, title, description, "".join(body))


def bar_chart(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[float]
) -> SafeString:
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(len(values), 1)
    body = [_axis(top)]
    every = max(1, len(values) // 10)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = PAD_LEFT + i * slot + slot * 0.15
        body.append(
            format_html(
                '<rect class="nd-bar" x="{}" y="{}" width="{}" '
                'height="{}"><title>{}: {}</title></rect>',
                f"{x:.1f}",
                f"{HEIGHT - PAD_BOTTOM - h:.1f}",
                f"{slot * 0.7:.1f}",
                f"{h:.1f}",
                label,
                f"{value:,.0f}",
            )
        )
        if i % every == 0:
            body.append(
                format_html(
                    '<text class="nd-tick" x="{}" y="{}" text-anchor="middle">{}'
                    "</text>",
                    f"{x + slot * 0.35:.1f}",
                    HEIGHT - 6,
                    label,
                )
            )
    description = (
        f"{len(values)} bars from {labels[0]} to {labels[-1]}; total "
        f"{sum(values):,.0f}, highest {max(values):,.0f}."
        if values
        else "No data yet."
    )
    return _frame(chart_id, title, description, "".join(body))


def sparkline(values: Sequence[float], *, label: str) -> SafeString:
    """A small inline line (e.g. an article's views by hour) with its name."""
    width, height = 160, 32
    top = max(values, default=0) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}"
        for i, v in enumerate(values)
    )
    return format_html(
        '<svg class="nd-spark" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}"><polyline class="nd-line nd-s0" points="{}"/>'
        "</svg>",
        width,
        height,
        width,
        height,
        label,
        points,
    )


def table_html(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> SafeString:
    head = format_html_join("", '<th scope="col">{}</th>', ((c,) for c in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),)
            for row in rows
        ),
    )
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body
    )


def articles_per_day(request) -> Panel:
    from newsdesk.news.selectors import published_per_day

    days = published_per_day(days=14)
    labels = [d.strftime("%-d %b") for d, _ in days]
    values = [n for _, n in days]
    return Panel(
        key="articles-per-day",
        title="Articles published per day (14 days)",
        chart=bar_chart(
            "nd-articles-day", "Articles published per day", labels, values
        ),
        columns=("Day (UTC)", "Articles"),
        rows=[(d.isoformat(), n) for d, n in days],
        summary=f"{sum(values)} articles in 14 days, {values[-1]} today.",
        order=40,
    )

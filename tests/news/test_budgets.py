"""DESIGN.md page-weight budgets on a realistic article page; no third parties."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

HTML_BUDGET = 60_000
CSS_BUDGET = 30_000
JS_BUDGET = 10_000


def static_size(url: str) -> int:
    path = finders.find(url.removeprefix("/static/").split("?")[0])
    assert path, f"{url} is not a static file of the project"
    with open(path, "rb") as handle:
        return len(handle.read())


def test_article_page_stays_within_budgets(client, tree, ap, make_article):
    long_body = "".join(
        f"<p>{'Paragraph text of a long wire story. ' * 12}</p>" for _ in range(25)
    )
    for i in range(12):
        make_article(
            tree["finance"], age_hours=i + 2, headline=f"Finance headline {i} " * 4
        )
    story = make_article(tree["finance"], body=long_body, source=ap, dateline="BEIJING")
    html = client.get(story.get_absolute_url()).content.decode()
    assert len(html.encode()) < HTML_BUDGET
    css = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    js = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert sum(static_size(u) for u in css) < CSS_BUDGET
    assert sum(static_size(u) for u in js) < JS_BUDGET
    # Zero third-party requests: every resource the page loads is our own.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        loads = re.search(
            rf'<(?:script|img|link rel="stylesheet"|iframe)[^>]+"{re.escape(url)}"',
            html,
        )
        if loads:
            assert url.startswith("/"), f"third-party resource {url}"

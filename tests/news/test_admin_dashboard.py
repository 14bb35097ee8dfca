"""The newsroom dashboard: the admin's front page shows what the newsroom is doing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from newsdesk.discovery.models import ReadingHistory
from newsdesk.engagement.models import Reaction, ViewBucket
from newsdesk.ingest.models import Feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


@pytest.fixture
def seeded(tree, make_article, ap):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    rising = make_article(tree["finance"], headline="Rising story", age_hours=3)
    falling = make_article(tree["world"], headline="Falling story", age_hours=30)
    for h in range(48):
        ViewBucket.objects.create(
            article=falling, hour=hour - timedelta(hours=h), views=5
        )
    ViewBucket.objects.create(article=rising, hour=hour, views=40)
    ViewBucket.objects.create(article=rising, hour=hour - timedelta(hours=2), views=10)
    for reader, kind in enumerate(["good", "good", "sad"]):
        Reaction.objects.create(article=rising, reader=reader, kind=kind)
    now = timezone.now()
    ReadingHistory.objects.create(reader=1, article=rising, read_at=now)
    ReadingHistory.objects.create(
        reader=1, article=falling, read_at=now - timedelta(days=2)
    )
    ReadingHistory.objects.create(reader=2, article=rising, read_at=now)
    Feed.objects.create(
        source=ap, url="https://feeds.example.org/ap.xml", category=tree["world"],
        consecutive_errors=3, last_error="HTTP 503 from feeds.example.org",
    )  # fmt: skip
    return {"rising": rising, "falling": falling}


def panel(page: str, key: str) -> str:
    start = page.index(f'data-panel="{key}"')
    return page[start : page.index("</section>", start)]


def test_dashboard_is_the_admin_front_page(
    editor, seeded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(25):
        response = editor.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>newsdesk newsroom</h1>" in page
    assert "<title>" in page and "newsdesk newsroom</title>" in page

    views = panel(page, "views-per-hour")
    assert "5 views in 48" not in views
    assert "290 views in 48 hours" in views  # 48 x 5 + 40 + 10
    assert "<td>" in views and "World" in views and "Business" in views

    top = panel(page, "top-1h")
    assert top.index("Rising story") < top.index("Falling story")
    assert "new" in top or "+" in top

    assert "Very good" in panel(page, "reactions")
    assert "3 reactions in 7 days" in panel(page, "reactions")
    assert "50%" in panel(page, "returning-readers")
    assert "1 of 1 feeds failing" in panel(page, "ingest")
    assert "HTTP 503" in panel(page, "ingest")
    assert "articles-per-day" in page
    assert "Everything in the admin" in page and "Articles" in page


def test_every_chart_has_an_accessible_name_and_a_table(editor, seeded):
    page = editor.get("/admin/").content.decode()
    charts = re.findall(r"<svg class=\"nd-chart\"[^>]*>.*?</svg>", page, re.S)
    assert len(charts) >= 3
    for chart in charts:
        ids = re.search(r'aria-labelledby="([^"]+)"', chart).group(1).split()
        assert 'role="img"' in chart
        for ident in ids:
            assert f'id="{ident}"' in chart
        assert re.search(r"<title [^>]*>[^<]+</title>", chart)
    for key in ("views-per-hour", "reactions", "articles-per-day"):
        assert "<table>" in panel(page, key)


def test_a_failing_panel_is_left_out(editor, seeded, settings):
    settings.NEWSDESK_DASHBOARD_PANELS = [
        "newsdesk.news.dashboard.articles_per_day",
        "tests.news.test_admin_dashboard.broken_panel",
    ]
    response = editor.get("/admin/")
    assert response.status_code == 200
    assert "articles-per-day" in response.content.decode()


def broken_panel(request):
    raise RuntimeError("source down")


def test_article_change_page_has_a_views_sparkline(editor, seeded):
    article = seeded["falling"]
    page = editor.get(f"/admin/news/article/{article.pk}/change/").content.decode()
    spark = re.search(r'<svg class="nd-spark"[^>]*aria-label="([^"]+)"', page)
    assert spark, "sparkline missing"
    assert "in total" in spark.group(1)


def test_article_page_lists_related_and_duplicate_members(
    editor, tree, make_article, ap
):
    from newsdesk.discovery.models import Cluster, RelatedLink

    story = make_article(tree["world"], headline="Main story")
    near = make_article(tree["world"], headline="A related story")
    copy = make_article(tree["world"], headline="Wire copy of main", source=ap)
    RelatedLink.objects.create(article=story, related=near, rank=1, score=0.42)
    for article in (story, copy):
        Cluster.objects.update_or_create(
            article=article,
            defaults={"story_id": story.pk, "duplicate_group": story.pk},
        )
    page = editor.get(f"/admin/news/article/{story.pk}/change/").content.decode()
    related = page[page.index("field-related_list") :]
    assert "A related story" in related[:2000]
    assert "(0.42)" in page
    assert "Wire copy of main" in page and "(Associated Press)" in page
    lonely = editor.get(f"/admin/news/article/{near.pk}/change/").content.decode()
    assert "Copies of the same report" in lonely

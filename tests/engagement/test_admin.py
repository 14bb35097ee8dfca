"""Editors see views and reactions (total, 24 h) in the article admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from newsdesk.engagement.models import ArticleStats, Reaction, ViewBucket

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    user = get_user_model().objects.create_superuser("editor", "e@x.org", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def engaged(article):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    ArticleStats.objects.create(article=article, views=1234)
    ViewBucket.objects.create(article=article, hour=now, views=34)
    ViewBucket.objects.create(article=article, hour=now - timedelta(days=3), views=1200)
    Reaction.objects.create(article=article, reader=1, kind="good")
    Reaction.objects.create(article=article, reader=2, kind="sad")
    old = Reaction.objects.create(article=article, reader=3, kind="sad")
    Reaction.objects.filter(pk=old.pk).update(updated_at=now - timedelta(days=2))
    return article


def test_changelist_shows_views_and_reactions(editor, engaged, make_article):
    make_article()
    response = editor.get("/admin/news/article/")
    html = response.content.decode()
    for header in ("Views", "Views 24 h", "Reactions", "Reactions 24 h"):
        assert f">{header}<" in html
    row = html.split(f"/admin/news/article/{engaged.pk}/change/")[1].split("</tr>")[0]
    assert '"field-views_total">1234<' in row.replace("1,234", "1234")
    assert '"field-views_24h">34<' in row
    assert '"field-reactions_total">3<' in row
    assert '"field-reactions_24h">2<' in row


def test_changelist_query_count_does_not_grow_with_articles(
    editor, make_article, django_assert_max_num_queries
):
    for _ in range(10):
        make_article()
    with django_assert_max_num_queries(12):
        editor.get("/admin/news/article/")


def test_change_page_shows_engagement(editor, engaged):
    html = editor.get(f"/admin/news/article/{engaged.pk}/change/").content.decode()
    assert "Engagement" in html
    assert "Good: 1" in html and "Sad: 2" in html

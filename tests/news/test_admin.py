from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from newsdesk.news.models import Article
from tests.news.admin_forms import article_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, django_user_model):
    def as_member(group: str):
        user = django_user_model.objects.create_user(
            group.lower(), password="pw", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        return client

    return as_member


def form_data(category, **overrides):
    fields = {
        "headline": "Council approves budget",
        "body": '<p onmouseover="x()">Approved.<script>alert(1)</script></p>',
        "status": "draft",
        **overrides,
    }
    return article_form(category, **fields)


def test_reporter_saves_drafts_but_cannot_publish(login, tree):
    client = login("Reporter")
    response = client.post(
        "/admin/news/article/add/", form_data(tree["world"], status="published")
    )
    assert response.status_code == 200  # form redisplayed with an error
    assert Article.objects.count() == 0
    response = client.post("/admin/news/article/add/", form_data(tree["world"]))
    assert response.status_code == 302, response.content[:2000]
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert article.slug == "council-approves-budget", "slug filled from the headline"
    assert "script" not in article.body and "onmouseover" not in article.body


def test_editor_publishes_and_schedules(login, tree):
    client = login("Editor")
    response = client.post(
        "/admin/news/article/add/", form_data(tree["world"], status="published")
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.is_live() and article.published_at is not None
    past = form_data(
        tree["world"],
        headline="Later",
        status="scheduled",
        published_at_0="2020-01-01",
        published_at_1="10:00:00",
    )
    response = client.post("/admin/news/article/add/", past)
    assert response.status_code == 200 and b"must be in the future" in response.content
    future = dict(past, published_at_0="2099-01-01")
    assert client.post("/admin/news/article/add/", future).status_code == 302
    scheduled = Article.objects.get(headline="Later")
    assert scheduled.status == "scheduled" and not scheduled.is_live()


def test_changelist_filters_search_and_autocomplete(login, tree, make_article):
    make_article(tree["world"], headline="Fentanyl talks")
    make_article(tree["finance"], headline="Budget", status=Article.Status.DRAFT)
    client = login("Editor")
    html = client.get(
        "/admin/news/article/", {"status__exact": "draft"}
    ).content.decode()
    assert "Budget" in html and "Fentanyl talks" not in html
    html = client.get("/admin/news/article/", {"q": "fentanyl"}).content.decode()
    assert "Fentanyl talks" in html and ">Budget<" not in html
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "news",
            "model_name": "article",
            "field_name": "category",
            "term": "fin",
        },
    )
    assert response.status_code == 200 and "Finance" in response.content.decode()

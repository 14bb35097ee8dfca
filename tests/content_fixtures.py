from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.news import actions
from newsdesk.news.models import Article, Category, Source

_counter = itertools.count(1)


@pytest.fixture
def make_category(db):
    def make(name: str, *, parent: Category | None = None, slug: str = "") -> Category:
        return actions.do_save_category(Category(name=name, slug=slug, parent=parent))

    return make


@pytest.fixture
def make_article(db):
    def make(
        category: Category,
        *,
        headline: str | None = None,
        age_hours: float = 1,
        status: str = Article.Status.PUBLISHED,
        body: str = "<p>Body text.</p>",
        **fields,
    ) -> Article:
        n = next(_counter)
        article = Article(
            headline=headline or f"Headline number {n}",
            category=category,
            body=body,
            status=status,
            published_at=timezone.now() - timedelta(hours=age_hours),
            **fields,
        )
        return actions.do_save_article(article)

    return make


@pytest.fixture
def tree(make_category):
    """Home > Business > Finance, and World."""
    business = make_category("Business")
    finance = make_category("Finance", parent=business)
    world = make_category("World")
    return {"business": business, "finance": finance, "world": world}


@pytest.fixture
def ap(db):
    return Source.objects.create(
        name="Associated Press",
        credit="AP",
        url="https://apnews.com/",
        licence="Licensed wire copy",
        indexing=Source.Indexing.NOINDEX,
    )

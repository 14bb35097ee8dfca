"""The related index on disk belongs to one database (issue 14.3).

A data folder can outlive its database (a test run's, a recreated or restored
one): ids are reused with other texts and times. Such an index must not be
trusted; the writer builds one from the database instead.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from newsdesk.discovery.models import Cluster, RelatedLink, Story
from newsdesk.discovery.related import index as related_index
from newsdesk.discovery.stories.selectors import live_members
from newsdesk.news import actions
from newsdesk.news.models import Article

pytestmark = pytest.mark.django_db

QUAKE = (
    "A magnitude 7.1 earthquake struck off the coast of Chile on Tuesday, collapsing "
    "buildings and killing at least {n} people, officials said. Rescue teams searched "
    "the rubble through the night as aftershocks shook the region."
)
FOLLOW_UP = (
    "Aid agencies rushed tents and water to Chile after Tuesday's earthquake, as the "
    "death toll climbed to {n}. Engineers inspected damaged bridges and schools, and "
    "the government declared three days of mourning for the earthquake victims."
)
OTHER = [
    "The central bank raised interest rates by a quarter point to fight inflation.",
    "The football club signed a new striker for a record transfer fee.",
    "Parliament passed the budget after a long night of negotiations.",
]


@pytest.fixture(autouse=True)
def index_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    related_index._cache.clear()
    yield
    related_index._cache.clear()


def publish(category, headline, body, *, age_hours=1.0):
    article = Article(
        headline=headline,
        body=f"<p>{body}</p>",
        category=category,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=age_hours),
    )
    return actions.do_save_article(article)


def related_ids(article) -> list[int]:
    return list(
        RelatedLink.objects.filter(article=article)
        .order_by("rank")
        .values_list("related_id", flat=True)
    )


def start_a_new_database() -> None:
    """What a recreated database looks like to the data folder: every row gone
    (discovery's own too), nothing announced to the index."""
    Article.objects.all().delete()
    for model in apps.get_app_config("discovery").get_models():
        model.objects.all().delete()
    related_index._cache.clear()  # a new process


def test_an_index_from_another_database_is_not_trusted(
    tree, django_capture_on_commit_callbacks
):
    world = tree["world"]
    with django_capture_on_commit_callbacks(execute=True):
        quake = publish(world, "Earthquake hits Chile", QUAKE.format(n=12), age_hours=5)
        for i, text in enumerate(OTHER):
            publish(world, f"Story {i}", text, age_hours=4 - i)
    reused = quake.pk
    start_a_new_database()
    # The new database reuses the quake's id for a football report, published
    # later, written by a restore or an import that announced nothing.
    Article.objects.create(
        pk=reused,
        headline="Club signs striker",
        body="<p>The football club signed a new striker for a record fee.</p>",
        category=world,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(minutes=30),
    )
    with django_capture_on_commit_callbacks(execute=True):
        follow_up = publish(world, "Chile quake toll rises", FOLLOW_UP.format(n=40))
    assert reused not in related_ids(follow_up), "a football report is not related"
    existing = set(Article.objects.values_list("pk", flat=True))
    assert set(Cluster.objects.values_list("article_id", flat=True)) <= existing
    assert set(RelatedLink.objects.values_list("related_id", flat=True)) <= existing
    story = Story.objects.get(pk=Cluster.objects.get(article=follow_up).story_id)
    assert list(live_members(story)) == [follow_up]


def test_an_unreadable_index_is_rebuilt_from_the_database(
    tree, django_capture_on_commit_callbacks
):
    world = tree["world"]
    with django_capture_on_commit_callbacks(execute=True):
        first = publish(world, "Earthquake hits Chile", QUAKE.format(n=12), age_hours=5)
    for path in related_index.index_dir().glob("related*.bin"):
        path.write_bytes(b"not an index")  # a torn disk, or an old format
    related_index._cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = publish(world, "Chile quake toll rises", FOLLOW_UP.format(n=40))
    assert related_ids(second)[:1] == [first.pk]


def test_the_index_file_is_named_by_the_database(
    tree, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(tree["world"], "Earthquake hits Chile", QUAKE.format(n=12))
    token = related_index.database_identity()
    assert related_index.index_file().name == f"related-{token}.bin"
    assert related_index.index_file().exists()
    start_a_new_database()
    assert related_index.database_identity() != token

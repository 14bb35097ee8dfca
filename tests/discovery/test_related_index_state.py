"""The related index lives in the database it describes, shared by every host.

A data folder can outlive its database (a test run's, a recreated or restored
one), and each host has its own: the index is kept in neither (issue 14.3,
issue 10 item 5). A writer whose cached copy is older than the saved index
(another host wrote since) reloads it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from newsdesk.discovery.engines.related import RelatedEngine
from newsdesk.discovery.engines.stories import StoryEngine
from newsdesk.discovery.models import Cluster, IndexState, RelatedLink, Story
from newsdesk.discovery.related import index as related_index
from newsdesk.discovery.stories.selectors import live_members
from newsdesk.news import actions
from newsdesk.news.models import Article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("index_in_tmp")]

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
    # An old format, or a torn write by another engine version.
    IndexState.objects.update(related=b"not an index", token="x" * 32)
    related_index._cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = publish(world, "Chile quake toll rises", FOLLOW_UP.format(n=40))
    assert related_ids(second)[:1] == [first.pk]


def test_a_host_with_a_new_data_folder_finds_the_index_in_the_database(
    tree, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DATA_DIR = tmp_path / "host-a"
    with django_capture_on_commit_callbacks(execute=True):
        first = publish(tree["world"], "Earthquake hits Chile", QUAKE.format(n=12))
    saved = related_index.saved_stamp()
    assert saved is not None
    settings.DATA_DIR = tmp_path / "host-b"  # another host, started later
    related_index._cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = publish(
            tree["world"], "Chile quake toll rises", FOLLOW_UP.format(n=40)
        )
    assert related_ids(second)[:1] == [first.pk]
    assert related_index.saved_stamp()[1] == saved[1] + 1
    assert not list(tmp_path.rglob("*.bin")), "no index beside a data folder"


def copy_of_this_hosts_index() -> dict:
    cache = related_index._cache
    return {
        "engine": RelatedEngine.from_bytes(cache["engine"].to_bytes()),
        "stories": StoryEngine.from_bytes(cache["stories"].to_bytes()),
        "token": cache["token"],
    }


def test_a_writer_reloads_an_index_another_host_saved(
    tree, django_capture_on_commit_callbacks
):
    world = tree["world"]
    with django_capture_on_commit_callbacks(execute=True):
        for i, text in enumerate(OTHER):
            publish(world, f"Story {i}", text, age_hours=6)
    host_b = copy_of_this_hosts_index()  # host B's copy, before host A writes
    with django_capture_on_commit_callbacks(execute=True):
        quake = publish(world, "Earthquake hits Chile", QUAKE.format(n=12))
    related_index._cache.clear()
    related_index._cache.update(host_b)
    # Host B indexes the next report: its copy is stale, it reloads first.
    with django_capture_on_commit_callbacks(execute=True):
        follow_up = publish(world, "Chile quake toll rises", FOLLOW_UP.format(n=40))
    assert related_ids(follow_up)[:1] == [quake.pk]
    assert quake.pk in related_index._cache["engine"]


class CustomEngine(RelatedEngine):
    """An engine named in settings (NEWSDESK_RELATED_ENGINE)."""


def test_a_custom_engine_survives_a_reload(
    tree, settings, django_capture_on_commit_callbacks
):
    settings.NEWSDESK_RELATED_ENGINE = f"{__name__}.CustomEngine"
    with django_capture_on_commit_callbacks(execute=True):
        first = publish(tree["world"], "Earthquake hits Chile", QUAKE.format(n=12))
    related_index._cache.clear()  # a new process loads the saved index
    with django_capture_on_commit_callbacks(execute=True):
        second = publish(
            tree["world"], "Chile quake toll rises", FOLLOW_UP.format(n=40)
        )
    assert type(related_index._cache["engine"]) is CustomEngine
    assert related_ids(second)[:1] == [first.pk]

"""The related index as the site runs it: incremental, persisted, read by pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.discovery.models import Cluster, RelatedLink
from newsdesk.discovery.related import index as related_index
from newsdesk.news import actions
from newsdesk.news.models import Article, Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("index_in_tmp")]

QUAKE = (
    "A magnitude 7.1 earthquake struck off the coast of {place} on Tuesday, "
    "collapsing buildings and killing at least {n} people, officials said. "
    "Rescue teams searched the rubble through the night as aftershocks shook the "
    "region."
)
# A follow-up of the same story: shares the story's names, not its sentences.
FOLLOW_UP = (
    "Aid agencies rushed tents and water to {place} after Tuesday's earthquake, as "
    "the death toll climbed to {n}. Engineers inspected damaged bridges and schools, "
    "and the government declared three days of mourning for the earthquake victims."
)
OTHER = [
    "The central bank raised interest rates by a quarter point to fight inflation.",
    "The football club signed a new striker for a record transfer fee.",
    "Parliament passed the budget after a long night of negotiations.",
    "A new museum of modern art opened its doors in the old harbour district.",
    "Scientists reported a new species of frog found in the rainforest canopy.",
]


@pytest.fixture
def publish(tree, django_capture_on_commit_callbacks):
    def publish(headline, body, *, category=None, source=None, age_hours=1.0):
        with django_capture_on_commit_callbacks(execute=True):
            article = Article(
                headline=headline,
                body=f"<p>{body}</p>",
                category=category or tree["world"],
                status=Article.Status.PUBLISHED,
                source=source,
                published_at=timezone.now() - timedelta(hours=age_hours),
            )
            return actions.do_save_article(article)

    return publish


def related_ids(article) -> list[int]:
    return list(
        RelatedLink.objects.filter(article=article)
        .order_by("rank")
        .values_list("related_id", flat=True)
    )


def test_publishing_indexes_incrementally_both_ways(publish):
    others = [publish(f"Story {i}", text) for i, text in enumerate(OTHER)]
    first = publish("Earthquake hits Chile", QUAKE.format(place="Chile", n=12))
    assert related_ids(first) == [], "nothing similar yet: no weak matches"
    second = publish("Chile quake toll rises", FOLLOW_UP.format(place="Chile", n=40))
    assert related_ids(second)[:1] == [first.pk]
    # The earlier article's list was refreshed too, without a rebuild.
    assert second.pk in related_ids(first)
    assert not set(related_ids(second)) & {o.pk for o in others}


def test_withdrawn_articles_leave_every_list(publish):
    a = publish("Quake in Peru", QUAKE.format(place="Peru", n=3))
    b = publish("Peru quake aftermath", FOLLOW_UP.format(place="Peru", n=9))
    assert b.pk in related_ids(a)
    actions.do_withdraw(b)
    related_index.index_articles([b.pk])
    assert b.pk not in related_ids(a)
    assert not Cluster.objects.filter(article=b).exists()


def test_index_survives_a_restart(publish):
    a = publish("Quake in Nepal", QUAKE.format(place="Nepal", n=5))
    related_index._cache.clear()  # a new process: only the file remains
    b = publish("Nepal quake update", FOLLOW_UP.format(place="Nepal", n=15))
    assert a.pk in related_ids(b)


def test_article_page_reads_the_stored_list(client, publish, tree, make_article):
    for i, text in enumerate(OTHER):
        publish(f"Newer world story {i}", text, age_hours=0.1)
    a = publish("Quake in Japan", QUAKE.format(place="Japan", n=2), age_hours=5)
    b = publish(
        "Japan quake: tsunami warning",
        FOLLOW_UP.format(place="Japan", n=8),
        age_hours=4,
    )
    html = client.get(b.get_absolute_url()).content.decode()
    block = re.search(r'data-block="related".*?</section>', html, re.S).group(0)
    links = re.findall(r'href="(/news/\d+/[^"]+)"', block)
    assert links[0] == a.get_absolute_url(), "the similar story leads, not the newest"
    with CaptureQueriesContext(connection) as queries:
        client.get(b.get_absolute_url())
    sql = " ".join(q["sql"] for q in queries)
    assert "discovery_relatedlink" in sql and "news_article_fts" not in sql


def test_duplicates_show_once_with_also_reported_by(client, publish, tree):
    wire = Source.objects.create(name="Wire One", credit="W1")
    other = Source.objects.create(name="Wire Two", credit="W2")
    text = QUAKE.format(place="Turkey", n=30)
    a = publish("Turkey quake kills 30", text, source=wire, age_hours=3)
    b = publish("Turkey quake kills 30", text, source=other, age_hours=2)
    c = publish("Turkey quake: 30 dead", text + " Rescuers continue.", source=other)
    group = Cluster.objects.get(article=a).duplicate_group
    assert Cluster.objects.get(article=b).duplicate_group == group
    html = client.get(c.get_absolute_url()).content.decode()
    blocks = " ".join(re.findall(r"<section[^>]*data-block=.*?</section>", html, re.S))
    shown = {a.pk, b.pk} & {int(x) for x in re.findall(r'href="/news/(\d+)/', blocks)}
    assert len(shown) <= 1, "never two copies of one report in the lists"
    page_a = client.get(a.get_absolute_url()).content.decode()
    assert "Also reported by" in page_a and "W2" in page_a


def test_rebuild_command(publish):
    a = publish("Quake in Italy", QUAKE.format(place="Italy", n=4))
    b = publish("Italy quake", FOLLOW_UP.format(place="Italy", n=6))
    RelatedLink.objects.all().delete()
    call_command("discovery", "rebuild", verbosity=0)
    assert a.pk in related_ids(b) and b.pk in related_ids(a)


def test_bulk_changes_are_indexed_once(
    publish, tree, django_capture_on_commit_callbacks
):
    calls = []
    original = related_index.index_articles
    related_index.index_articles = lambda ids: (
        calls.append(sorted(ids)) or original(ids)
    )
    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            actions.collect_changes(),
        ):
            made = [
                actions.do_save_article(
                    Article(
                        headline=f"Bulk {i}",
                        body=f"<p>{t}</p>",
                        category=tree["world"],
                        status=Article.Status.PUBLISHED,
                    )
                )
                for i, t in enumerate(OTHER)
            ]
    finally:
        related_index.index_articles = original
    assert calls == [sorted(a.pk for a in made)]


@pytest.mark.django_db(transaction=True)  # the worker closes its connections
def test_big_batches_are_indexed_by_the_background_worker(
    settings, tree, django_capture_on_commit_callbacks
):
    settings.NEWSDESK_RELATED_INLINE_MAX = 2
    with django_capture_on_commit_callbacks(execute=True), actions.collect_changes():
        a = actions.do_save_article(
            Article(
                headline="Quake in Chile",
                body=f"<p>{QUAKE.format(place='Chile', n=3)}</p>",
                category=tree["world"],
                status=Article.Status.PUBLISHED,
            )
        )
        b = actions.do_save_article(
            Article(
                headline="Chile quake aid",
                body=f"<p>{FOLLOW_UP.format(place='Chile', n=7)}</p>",
                category=tree["world"],
                status=Article.Status.PUBLISHED,
            )
        )
        for i, text in enumerate(OTHER):
            actions.do_save_article(
                Article(
                    headline=f"Other {i}",
                    body=f"<p>{text}</p>",
                    category=tree["world"],
                    status=Article.Status.PUBLISHED,
                )
            )
    assert not RelatedLink.objects.exists(), "the import did not wait for indexing"
    call_command(
        "db_worker", batch=True, startup_delay=False, reload=False, verbosity=0
    )
    assert a.pk in related_ids(b)

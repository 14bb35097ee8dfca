"""Story pages and editors' corrections, as the site runs them (issue 13)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.discovery.models import Cluster, Story, StoryPin
from newsdesk.discovery.related import index as related_index
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.news import actions
from newsdesk.news.models import Article, Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("index_in_tmp")]

QUAKE = [
    (
        "Earthquake hits Chile",
        "A magnitude 7.1 earthquake struck off the coast of Chile on Tuesday, "
        "collapsing buildings in Valparaiso and killing at least 12 people, officials "
        "said. Rescue teams searched the rubble through the night.",
    ),
    (
        "Chile earthquake toll rises",
        "The death toll from Tuesday's earthquake in Chile climbed to 40 as rescue "
        "teams in Valparaiso pulled more bodies from collapsed buildings.",
    ),
    (
        "Aid reaches Chile earthquake zone",
        "Aid agencies rushed tents and water to Valparaiso after the Chile earthquake; "
        "engineers inspected damaged bridges and the death toll rose to 52.",
    ),
]
RATES = [
    (
        "Central bank raises interest rates",
        "The central bank raised interest rates by a quarter point to fight "
        "inflation, its governor said, warning of more rises in mortgage costs.",
    ),
    (
        "Interest rate rise hits mortgages",
        "Mortgage holders face higher payments after the central bank raised "
        "interest rates again to curb inflation, lenders said.",
    ),
]
OTHER = [
    ("Club signs striker", "The football club signed a new striker for a record fee."),
    ("Budget passes", "Parliament passed the budget after a long night of talks."),
    ("Museum opens", "A museum of modern art opened its doors in the old harbour."),
]


@pytest.fixture
def publish(tree, django_capture_on_commit_callbacks):
    def publish(headline, body, *, age_hours=1.0, category=None, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return actions.do_save_article(
                Article(
                    headline=headline,
                    body=f"<p>{body}</p>",
                    category=category or tree["world"],
                    status=Article.Status.PUBLISHED,
                    published_at=timezone.now() - timedelta(hours=age_hours),
                    **fields,
                )
            )

    return publish


@pytest.fixture
def site(publish, tree):
    made = {}
    for i, (headline, body) in enumerate(OTHER):
        made[f"other{i}"] = publish(headline, body, age_hours=30 + i)
    for i, (headline, body) in enumerate(QUAKE):
        made[f"quake{i}"] = publish(headline, body, age_hours=10 - 3 * i)
    for i, (headline, body) in enumerate(RATES):
        made[f"rates{i}"] = publish(
            headline, body, age_hours=9 - 3 * i, category=tree["business"]
        )
    return made


def story_of(article) -> Story:
    return Story.objects.get(pk=Cluster.objects.get(article=article).story_id)


def test_reports_of_one_event_share_a_story(site):
    quake = {story_of(site[f"quake{i}"]).pk for i in range(3)}
    rates = {story_of(site[f"rates{i}"]).pk for i in range(2)}
    assert len(quake) == 1 and len(rates) == 1 and quake != rates
    others = {story_of(site[f"other{i}"]).pk for i in range(3)}
    assert len(others) == 3 and not others & (quake | rates)
    story = story_of(site["quake0"])
    assert story.size == 3
    assert story.title in {h for h, _ in QUAKE}
    assert story.first_published_at == site["quake0"].published_at


def test_story_page_lists_every_report_newest_first(client, site):
    story = story_of(site["quake1"])
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    html = response.content.decode()
    ids = [int(i) for i in re.findall(r'<li data-article-id="(\d+)"', html)]
    assert ids == [site["quake2"].pk, site["quake1"].pk, site["quake0"].pk]
    assert "3 reports" in html


def test_article_page_links_to_full_coverage(client, site):
    story = story_of(site["quake0"])
    html = client.get(site["quake0"].get_absolute_url()).content.decode()
    assert f'<a href="{story.get_absolute_url()}">Full coverage: 3 reports</a>' in html
    lone = client.get(site["other0"].get_absolute_url()).content.decode()
    assert "Full coverage" not in lone


def test_wire_copies_collapse_under_also_reported_by(client, publish, site):
    wire = Source.objects.create(name="Wire Agency", credit="Wire", url="https://w/")
    other = Source.objects.create(name="Daily Paper", credit="Daily", url="https://d/")
    body = (
        "Chile's president declared three days of mourning after the earthquake "
        "that devastated Valparaiso, as aftershocks shook the coast and rescue teams "
        "kept searching collapsed buildings for survivors."
    )
    first = publish("Quake: Chile counts the dead", body, age_hours=0.5, source=wire)
    copy = publish("Quake: Chile counts the dead", body, age_hours=0.4, source=other)
    assert story_of(first).pk == story_of(copy).pk == story_of(site["quake0"]).pk
    html = client.get(story_of(first).get_absolute_url()).content.decode()
    ids = [int(i) for i in re.findall(r'<li data-article-id="(\d+)"', html)]
    assert first.pk in ids and copy.pk not in ids
    assert re.search(r"Also reported by: <a href=\"[^\"]+\">Daily</a>", html)
    assert "Wire ·" in html


def test_story_urls_are_validated_and_redirect(client, site):
    story = story_of(site["quake0"])
    assert client.get(f"/story/{story.pk}/wrong-slug/").status_code == 301
    assert client.get(f"/story/{story.pk}/").status_code == 301
    assert client.get("/story/99999999999999999999999/x/").status_code == 404
    assert client.get("/story/424242/x/").status_code == 404


def test_editors_decisions_survive_a_rebuild(client, site):
    quake, rates = story_of(site["quake0"]), story_of(site["rates0"])
    # Move one report, split another off, pin a title, merge two stories.
    story_actions.move_articles([site["other0"].pk], quake)
    split = story_actions.split_story([site["quake2"].pk], title="Aid effort")
    story_actions.pin_title(quake, "Chile earthquake")
    lone = story_of(site["other1"])
    story_actions.merge_stories([lone], rates)
    for _ in range(2):
        assert story_of(site["other0"]).pk == quake.pk
        assert story_of(site["quake2"]).pk == split.pk
        assert story_of(site["quake1"]).pk == quake.pk
        assert Story.objects.get(pk=quake.pk).title == "Chile earthquake"
        assert story_of(site["other1"]).pk == rates.pk
        response = client.get(f"/story/{lone.pk}/x/")
        assert response.status_code == 301
        assert response["Location"] == Story.objects.get(pk=rates.pk).get_absolute_url()
        related_index.rebuild()
    assert StoryPin.objects.count() == 2


def test_a_new_report_joins_its_story_and_keeps_its_id(publish, site):
    story = story_of(site["quake0"])
    later = publish(
        "Chile quake: schools reopen",
        "Schools in Valparaiso reopened a week after the Chile earthquake killed 52 "
        "people; rescue teams ended their search of collapsed buildings.",
        age_hours=0.2,
    )
    assert story_of(later).pk == story.pk
    assert Story.objects.get(pk=story.pk).size == 4


def test_admin_merges_and_moves(admin_client, site):
    quake, rates = story_of(site["quake0"]), story_of(site["rates0"])
    response = admin_client.post(
        "/admin/discovery/story/",
        {"action": "merge_selected", "_selected_action": [quake.pk, rates.pk]},
    )
    assert response.status_code == 302
    assert story_of(site["rates1"]).pk == quake.pk  # into the larger one
    lone = site["other2"]
    response = admin_client.post(
        "/admin/discovery/storymember/",
        {
            "action": "move_selected",
            "story": str(quake.pk),
            "_selected_action": [lone.pk],
        },
    )
    assert response.status_code == 302
    assert story_of(lone).pk == quake.pk
    response = admin_client.post(
        "/admin/discovery/storymember/",
        {"action": "split_selected", "_selected_action": [lone.pk]},
    )
    assert story_of(lone).pk not in {quake.pk, rates.pk}
    page = admin_client.get(f"/admin/discovery/story/{quake.pk}/change/")
    assert page.status_code == 200 and site["quake0"].headline in page.content.decode()
    response = admin_client.post(
        f"/admin/discovery/story/{quake.pk}/change/",
        {"title": "Pinned by an editor", "title_pinned": "on"},
    )
    assert response.status_code == 302
    story = Story.objects.get(pk=quake.pk)
    assert story.title == "Pinned by an editor" and story.title_pinned

"""The page template tags that stand in for Django's filters and includes draw
the same thing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.timezone import template_localtime

from newsdesk.news.templatetags.newsdesk import day_and_time


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_day_and_time_is_the_date_filter(zone):
    start = datetime(1999, 12, 31, 23, 59, tzinfo=UTC)
    with timezone.override(zone):
        for i in range(400):
            value = start + timedelta(days=i * 7, hours=i, minutes=i * 13)
            expected = date_filter(template_localtime(value), "j M Y, H:i")
            assert day_and_time(value) == expected
        early = datetime(987, 3, 4, 5, 6, tzinfo=UTC)
        assert day_and_time(early) == date_filter(
            template_localtime(early), "j M Y, H:i"
        )


@pytest.mark.django_db
def test_published_is_what_the_time_include_drew(tree, make_article):
    timed = make_article(tree["finance"], age_hours=30)
    day = make_article(tree["finance"], age_hours=50, published_precision="day")
    include = Template(
        '{% include "news/_time.html" with t=a.published_at day=a.date_only %}'
    )
    tag = Template("{% load newsdesk %}{% published a %}")
    for article in (timed, day):
        context = Context({"a": article})
        # The include's file ends in a newline; the tag draws the element only.
        assert tag.render(context) == include.render(context).rstrip("\n")


# news/_card.html as it was before {% card %} replaced it.
OLD_CARD = (
    '{% load newsdesk %}<article class="card{% if big %} card-big{% endif %}">\n'
    '  {% if a.lead_image and big %}<img class="card-image"'
    ' src="{{ a.lead_image.url }}"'
    ' alt="{{ a.lead_image_alt }}" width="{{ a.lead_image_width }}"'
    ' height="{{ a.lead_image_height }}"{% if lazy %} loading="lazy"{% endif %}>'
    "{% endif %}\n"
    '  {% if kicker %}<p class="kicker">{{ a.category.name }}</p>{% endif %}\n'
    '  <h{{ level|default:3 }} class="card-title"><a href="{{ a.get_absolute_url }}">'
    "{{ a.headline }}</a></h{{ level|default:3 }}>\n"
    '  {% if summary and a.summary %}<p class="card-summary">'
    "{{ a.summary|truncatechars:260 }}</p>{% endif %}\n"
    '  <p class="meta">{% published a %}</p>\n'
    "</article>\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "flags",
    [
        {"big": 1, "kicker": 1, "summary": 1, "level": 2},
        {"kicker": 1, "level": 3},
        {"summary": 1, "lazy": 1},
        {"big": 1, "summary": 1, "level": 2, "lazy": 1},
    ],
)
def test_card_draws_what_the_card_include_drew(tree, flags):
    from newsdesk.news.models import Article

    pictured = Article(
        pk=41,
        slug="pictured",
        headline="Floods <close> roads & rail",
        standfirst="A long standfirst " * 20,
        category=tree["finance"],
        published_at=timezone.now() - timedelta(hours=3),
        lead_image="lead/river.jpg",
        lead_image_width=1200,
        lead_image_height=675,
        lead_image_alt='The river "Ouse" & a bridge',
    )
    plain = Article(
        pk=42,
        slug="plain",
        headline="Council meets",
        body_text="Council meets.\n\nThe budget was agreed after a long debate.",
        category=tree["world"],
        published_at=timezone.now() - timedelta(days=3),
        published_precision="day",
    )
    old = Template(OLD_CARD)
    args = " ".join(f"{k}={v}" for k, v in flags.items())
    new = Template("{% load newsdesk %}{% card a " + args + " %}")
    for article in (pictured, plain):
        expected = old.render(Context({"a": article, **flags}))
        assert new.render(Context({"a": article})) == expected

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

"""The bundled demo content reads like news: headlines, dates, sections, bodies."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import transaction

from newsdesk.news import demo
from newsdesk.news.demo import headline_for, story_for
from newsdesk.news.models import Article


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("The U.S", "The U.S. State Department suspends aid. More text.",
         "The U.S. State Department suspends aid"),
        ("Cuba's Habanos S.A", "Cuba's Habanos S.A. suspends the festival. Then.",
         "Cuba's Habanos S.A. suspends the festival"),
        ("OpenAI drops GPT-4o", "OpenAI drops GPT-4o. Users object.",
         "OpenAI drops GPT-4o"),
        ("A long cut title…", "A long cut title that goes on.",
         "A long cut title that goes on"),
        ("Unrelated title", "Body that does not start with it.", "Unrelated title"),
    ],
)  # fmt: skip
def test_demo_headlines_do_not_end_on_abbreviations(title, body, expected):
    assert headline_for({"title": title, "body": body}) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("A Russian missile strike hits an apartment block in Dnipro, Ukraine, "
         "killing at least twelve people and injuring dozens of others overnight.",
         "A Russian missile strike hits an apartment block in Dnipro, Ukraine"),
        ("Two ANC members including a former Knysna councillor are shot dead, one "
         "day after a sitting Knysna councillor is shot dead in a suspected internal "
         "ANC faction fight in Knysna, Western Cape, South Africa.",
         "Two ANC members including a former Knysna councillor are shot dead, one "
         "day after a sitting Knysna councillor is shot dead in a suspected internal "
         "ANC faction fight"),
        ("A rabbi is seriously injured in a stabbing in Ramat Gan, Israel, as local "
         "police suspect a terrorist motive and search the area for the attacker.",
         "A rabbi is seriously injured in a stabbing in Ramat Gan, Israel"),
    ],
)  # fmt: skip
def test_long_first_sentences_are_cut_at_a_clause(sentence, expected):
    headline, whole = demo.headline_of(sentence)
    assert (headline, whole) == (expected, False)


def test_a_sentence_without_a_clause_boundary_is_kept_whole_not_cut_with_dots():
    body = "The U.S. " + "word " * 60 + "end. Next."
    headline = headline_for({"title": "The U.S", "body": body})
    assert not headline.endswith(("…", "...")) and headline.endswith("word end")


def test_a_whole_sentence_headline_is_not_repeated_in_the_body():
    story = story_for(
        {
            "title": "Christian Schmidt resigns as High Representative",
            "body": "Christian Schmidt resigns as High Representative. "
            "He will stay in office until a replacement is found.",
            "cited_sources": [{"name": "Reuters", "url": "https://reuters.com/x"}],
        }
    )
    assert story.headline == "Christian Schmidt resigns as High Representative"
    assert story.standfirst == "He will stay in office until a replacement is found."
    assert story.paragraphs == ()  # the body holds only the cited sources
    assert story.sources == (("Reuters", "https://reuters.com/x"),)


def test_table_footnotes_datelines_and_captions_are_dropped():
    body = (
        "Friday, March 29, 2019 \nThe convention opened on Friday in the city.\n\n"
        "Hobbits\n\n"
        "1. Unofficial results\n2. Relative to seats at dissolution\n3. At "
        "dissolution, there was one MPof the party\n\n"
        "Turnout was the highest since 1993, officials said on Tuesday."
    )
    assert demo.clean_paragraphs(body) == [
        "The convention opened on Friday in the city.",
        "Turnout was the highest since 1993, officials said on Tuesday.",
    ]


def test_only_reports_of_a_death_are_obituaries():
    elephant = {
        "title": "Suspect arrested in death of elephant in Kerala",
        "categories": ["Obituaries", "Crime and law"],
    }
    actor = {
        "title": "Actor Doris Day dies at 97",
        "categories": ["Culture and entertainment", "Obituaries"],
    }
    assert demo.categories_for(elephant) == ("Crime and law",)
    assert demo.categories_for(actor) == ("Obituaries", "Culture and entertainment")


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker):
    """The whole bundled demo, imported once through `load_demo`, and rolled
    back after the module's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.mark.slow
@pytest.mark.django_db
def test_the_loaded_demo_reads_like_news(loaded_demo, client):
    articles = Article.objects.all()
    assert articles.count() > 4000
    # No headline is a cut sentence, none repeats another.
    assert not articles.filter(headline__endswith="…").exists()
    assert not articles.filter(headline__endswith="...").exists()
    headlines = [h.casefold() for h in articles.values_list("headline", flat=True)]
    assert len(headlines) == len(set(headlines))
    # The sources give days only: recorded as such.
    assert not articles.exclude(published_precision=Article.Precision.DAY).exists()
    # No body opens by repeating its headline as a sentence.
    for headline, text in articles.values_list("headline", "body_text"):
        assert not text.startswith(headline + "."), headline
    # Standfirsts where the source gives one (Wikinews ledes, briefs' second
    # sentences).
    assert articles.exclude(standfirst="").count() > 500
    # Obituaries hold obituaries only.
    for headline in articles.filter(category__slug="obituaries").values_list(
        "headline", flat=True
    ):
        assert re.search(r"\b(dies|died)\b", headline), headline
    # Article 150's election table left footnotes behind in the scrape.
    canada = articles.get(headline__startswith="Canada 2019 general election")
    assert "Unofficial results" not in canada.body and "MPof" not in canada.body
    # Pages show day-only dates as dates, never as midnight.
    for url in ("/", "/business/", "/business/?page=2", canada.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "00:00" not in html, url
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\d">', html), url

from __future__ import annotations

import pytest

from newsdesk.news.demo import headline_for


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("The U.S", "The U.S. State Department suspends aid. More text.",
         "The U.S. State Department suspends aid"),
        ("Cuba's Habanos S.A", "Cuba's Habanos S.A. suspends the festival. Then.",
         "Cuba's Habanos S.A. suspends the festival"),
        ("OpenAI drops GPT-4o", "OpenAI drops GPT-4o. Users object.",
         "OpenAI drops GPT-4o"),
        ("A long cut title…", "A long cut title that goes on.", "A long cut title…"),
        ("Unrelated title", "Body that does not start with it.", "Unrelated title"),
    ],
)  # fmt: skip
def test_demo_headlines_do_not_end_on_abbreviations(title, body, expected):
    assert headline_for({"title": title, "body": body}) == expected


def test_long_first_sentences_are_cut_at_a_word():
    body = "The U.S. " + "word " * 60 + "end. Next."
    headline = headline_for({"title": "The U.S", "body": body})
    assert headline.endswith("…") and len(headline) <= 121
    assert not headline[:-1].endswith(" ")

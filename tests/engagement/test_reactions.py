"""Reactions: cross-site refusal, one per reader (also in the database),
toggling, rate limits."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from newsdesk.engagement.models import Reaction
from newsdesk.engagement.readers import COOKIE_NAME, cookie_key

from .conftest import CHROME, reader_cookie

pytestmark = pytest.mark.django_db


def reader_client(*, csrf=True):
    client = Client(enforce_csrf_checks=csrf, HTTP_USER_AGENT=CHROME)
    client.cookies[COOKIE_NAME] = reader_cookie()
    return client


def react(client, article, kind, *, json=False):
    # The page's form carries no token (pages are shared by caches): the
    # browser's Origin header is what the endpoint checks.
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(
        f"/engagement/react/{article.pk}",
        {"kind": kind},
        HTTP_ORIGIN="http://testserver",
        **headers,
    )


def test_reaction_from_another_site_is_rejected(article):
    client = reader_client()
    response = client.post(
        f"/engagement/react/{article.pk}",
        {"kind": "good"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert not Reaction.objects.exists()


def test_form_post_redirects_to_the_readers_reactions(article):
    client = reader_client()
    response = react(client, article, "good")
    assert response.status_code == 303
    assert response["Location"] == f"/engagement/react/{article.pk}?done=saved"
    html = client.get(response["Location"]).content.decode()
    assert article.get_absolute_url() in html
    pressed = re.findall(r'<button[^>]*value="(\w+)" aria-pressed="true"', html)
    assert pressed == ["good"]
    assert re.search(r'value="good"[^>]*>.*?data-count="1"', html, re.S)


def test_reaction_buttons_are_accessible_buttons(article):
    html = Client().get(article.get_absolute_url()).content.decode()
    buttons = re.findall(r"<button ([^>]*)>(.*?)</button>", html, re.S)
    kinds = [b for b in buttons if 'name="kind"' in b[0]]
    assert len(kinds) == 5
    for attrs, inner in kinds:
        assert 'type="submit"' in attrs and 'aria-pressed="false"' in attrs
        visible = re.sub(
            r'<span class="emoji" aria-hidden="true">.*?</span>', "", inner
        )
        assert re.sub(r"<[^>]+>", "", visible).strip()  # a text name, not an emoji
    assert "Very good" in html and "Angry" in html


def test_changing_and_removing_a_reaction(article):
    client = reader_client()
    react(client, article, "good")
    response = react(client, article, "sad", json=True)
    assert response.json()["mine"] == "sad"
    assert response.json()["counts"] == {
        "very_good": 0, "good": 0, "meh": 0, "sad": 1, "angry": 0,
    }  # fmt: skip
    assert list(Reaction.objects.values_list("kind", flat=True)) == ["sad"]
    response = react(client, article, "sad", json=True)  # the same again: removed
    assert response.json()["mine"] is None
    assert not Reaction.objects.exists()


def test_double_voting_is_impossible(article):
    client = reader_client()
    for kind in ("good", "meh", "good", "angry"):
        react(client, article, kind)
    other = reader_client()
    react(other, article, "angry")
    assert Reaction.objects.filter(article=article).count() == 2


def test_database_refuses_a_second_reaction_of_one_reader(article):
    Reaction.objects.create(article=article, reader=42, kind="good")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(article=article, reader=42, kind="sad")


def test_unknown_kind_is_rejected(article):
    response = react(reader_client(), article, "love")
    assert response.status_code == 400
    assert not Reaction.objects.exists()


def test_rate_limited_per_reader(article, settings):
    settings.NEWSDESK_REACTION_RATE_READER = 3
    client = reader_client()
    codes = [react(client, article, "good").status_code for _ in range(5)]
    assert codes == [303, 303, 303, 429, 429]
    assert react(reader_client(), article, "good").status_code == 303


def test_rate_limited_per_ip(article, settings):
    settings.NEWSDESK_REACTION_RATE_IP = 2
    codes = [react(reader_client(), article, "meh").status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    assert Reaction.objects.count() == 2


def test_state_gives_fresh_counts_and_own_reaction_for_cached_pages(article):
    client = reader_client()
    react(client, article, "meh")
    state = client.get(f"/engagement/state/{article.pk}").json()
    assert state["mine"] == "meh" and state["counts"]["meh"] == 1
    assert client.cookies["newsdesk_reacted"].value == "1"


def test_reader_stored_as_a_keyed_hash(article):
    client = reader_client()
    react(client, article, "good")
    cookie = client.cookies[COOKIE_NAME].value
    assert Reaction.objects.get().reader == cookie_key(cookie)
    assert str(Reaction.objects.get().reader) != cookie


def test_reaction_without_reader_cookie_asks_to_retry_with_one(article):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=CHROME)
    response = react(client, article, "good")
    assert response.status_code == 400
    assert not Reaction.objects.exists()
    assert COOKIE_NAME in response.cookies  # the retry carries it
    assert react(client, article, "good").status_code == 303
    assert Reaction.objects.get().reader == cookie_key(
        client.cookies[COOKIE_NAME].value
    )

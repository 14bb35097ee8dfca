"""Page numbers are hostile input: any page parameter answers 200 or 404, never 500."""

from __future__ import annotations

import pytest

from newsdesk.news import actions

pytestmark = pytest.mark.django_db

HOSTILE_PAGES = [
    "4611686018427387904",  # 2**62: the offset overflows SQLite's 64-bit integers
    "9223372036854775808",  # 2**63
    str(10**30),
    "1" + "0" * 5000,  # longer than Python's int() digit limit
    "-1",
    "0",
    "-9223372036854775809",
    "abc",
    "1e3",
    "1.5",
    " 2",
    "+2",
    "2_0",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() accepts it, a URL should not
    "",
    "%00",
]


@pytest.fixture
def listed(tree, make_article):
    for i in range(3):
        article = make_article(
            tree["world"], headline=f"Police report {i}", age_hours=i + 1
        )
        article.tags.set(actions.get_or_create_tags(["Policing"]))


@pytest.mark.parametrize("page", HOSTILE_PAGES)
@pytest.mark.parametrize("url", ["/search/?q=police&page=", "/world/?page=",
                                 "/tag/policing/?page="])  # fmt: skip
def test_hostile_page_numbers_never_500(client, listed, url, page):
    response = client.get(url + page)
    assert response.status_code in (200, 404), (url + page, response.status_code)


@pytest.mark.parametrize("url", ["/search/?q=police", "/world/", "/tag/policing/"])
def test_real_pages_still_answer(client, listed, url):
    assert client.get(url).status_code == 200
    assert client.get(url + ("&" if "?" in url else "?") + "page=1").status_code == 200
    assert client.get(url + ("&" if "?" in url else "?") + "page=2").status_code == 404

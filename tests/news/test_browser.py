"""A reader's walk through the site in real Chromium: home -> section -> article.

Runs axe-core on every page of the walk (WCAG 2.2 AA rules, zero violations).
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.core.cache import cache

from newsdesk.discovery.recommend_actions import ReadBuffer, set_read_buffer
from newsdesk.engagement.counters import set_counter
from newsdesk.engagement.counters.buffered import BufferedCounter
from tests.conftest import REPO, require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = REPO / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    require(os.path.exists(CHROMIUM), "chromium is missing (apt-get install chromium)")
    require(AXE.exists(), f"{AXE} is missing: run `make tools` (needs npm)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # sync Playwright beside the ORM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
        f"{[n['target'] for n in v['nodes']]})"
        for v in result["violations"]
    ]


FINANCE = [
    "Central bank holds rates as inflation cools",
    "Pension funds move into infrastructure bonds",
    "Copper price hits a two-year high",
    "Regional lender reports record profit",
    "Insurers brace for storm season claims",
    "Tax office delays digital filing rules",
]
WORLD = [
    "Flood waters recede across the river delta",
    "Coalition talks stall over budget rules",
    "Volcano eruption grounds flights in the south",
    "Fishing crews rescued after boat capsizes",
    "Border crossing reopens after three weeks",
    "Teachers strike over pay for a second day",
]


@pytest.fixture
def counter():
    """The process's view counter without its writer thread: flushed by the test."""
    c = BufferedCounter(autostart=False)
    old = set_counter(c)
    # Reads for Recommended are buffered the same way: no writer thread that
    # would outlive the test's database.
    old_reads = set_read_buffer(ReadBuffer(autostart=False))
    yield c
    set_counter(old)
    set_read_buffer(old_reads)


def reader_user_agent(browser) -> str:
    """Chromium's own user agent without "Headless", which marks a robot: the
    beacon does not count robots' views."""
    page = browser.new_page()
    agent = page.evaluate("navigator.userAgent")
    page.close()
    return agent.replace("HeadlessChrome", "Chrome")


def read_as_a_reader(page, url: str) -> None:
    """Open an article and wait until its beacon (engagement.js) has been answered."""
    with page.expect_response(lambda r: "/engagement/beacon/" in r.url) as beacon:
        page.goto(url)
    assert beacon.value.status == 204


def most_read_hrefs(page) -> list[str]:
    return page.locator('section[data-block="most-read"] ol li a').evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reader_walks_home_section_article(
    browser, live_server, tree, ap, make_article, counter, scheme
):
    finance = [
        make_article(tree["finance"], age_hours=i + 2, headline=h,
                     body=f"<p>{h}, the figures showed on day {i}.</p>")
        for i, h in enumerate(FINANCE)
    ]  # fmt: skip
    world = [
        make_article(tree["world"], age_hours=i + 2, headline=h,
                     body=f"<p>{h}, officials said on day {i}.</p>")
        for i, h in enumerate(WORLD)
    ]  # fmt: skip
    story = make_article(
        tree["finance"],
        headline="US and China launch talks on fentanyl trafficking",
        standfirst="A sign of cooperation.",
        source=ap,
        dateline="BEIJING",
        body="<p>American and Chinese officials met Tuesday.</p>",
        age_hours=1,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(
        color_scheme=scheme,
        viewport={"width": 1280, "height": 900},
        user_agent=reader_user_agent(browser),
    )
    # Real reads first: the reader opens two older stories, their pages' beacons
    # count the views, and the counter writes them as its writer thread would.
    read = [world[5], world[4]]
    for article in read:
        read_as_a_reader(page, live_server.url + article.get_absolute_url())
    assert counter.flush() == 2
    cache.clear()  # rankings are cached for a minute: this is a minute later

    page.goto(live_server.url + "/")
    assert page.title().startswith("newsdesk")
    # One view each: ties go to the newer article.
    assert most_read_hrefs(page) == [a.get_absolute_url() for a in read[::-1]]
    assert axe_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / f"home-{scheme}.png"), full_page=True)

    page.get_by_role("navigation", name="Sections").get_by_role(
        "link", name="Business"
    ).click()
    page.wait_for_url("**/business/")
    assert page.locator("h1").inner_text() == "Business"
    assert axe_violations(page) == []

    page.get_by_role("link", name=story.headline).first.click()
    page.wait_for_url(f"**{story.get_absolute_url()}")
    assert page.title() == f"{story.headline} - newsdesk"
    crumbs = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")
    assert crumbs.all_inner_texts() == ["Home", "Business", "Finance"]
    root = page.locator(f'[data-article-id="{story.pk}"]')
    assert root.count() == 1
    for key in ("related", "most-read", "recommended"):
        block = page.locator(f'section[data-block="{key}"] ol li a')
        assert block.count() >= 1, key
    # Most read holds only articles that were read, nothing topped up.
    assert set(most_read_hrefs(page)) <= {a.get_absolute_url() for a in read}
    hrefs = page.locator("section[data-block] ol li a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(hrefs) == len(set(hrefs)) and story.get_absolute_url() not in hrefs
    assert finance  # the section's other stories fill Related
    assert axe_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / f"article-{scheme}.png"), full_page=True)

    # Phone width: one column, blocks after the body.
    page.set_viewport_size({"width": 390, "height": 844})
    body_box = page.locator(".story .body").bounding_box()
    aside_box = page.locator("aside.secondary").bounding_box()
    assert aside_box["y"] > body_box["y"]
    assert axe_violations(page) == []
    page.close()


def test_article_page_works_without_javascript(
    browser, live_server, tree, make_article
):
    story = make_article(tree["finance"], headline="Readable without scripts")
    make_article(tree["finance"], headline="Another one")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + story.get_absolute_url())
    assert page.locator("h1").inner_text() == "Readable without scripts"
    assert page.locator('section[data-block="related"] ol li').count() >= 1
    context.close()

"""A reader's walk through the site in real Chromium: home -> section -> article,
and the rules of the lists as a reader meets them (real beacons, no DB writes).

Runs axe-core on every page of the walk (WCAG 2.2 AA rules, zero violations) and
saves screenshots at 1366 and 390 px, light and dark, to var/screenshots/.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.core.cache import cache

from newsdesk.discovery.models import RelatedLink
from newsdesk.discovery.recommend import selectors as recommend_selectors
from newsdesk.discovery.recommend.actions import ReadBuffer, set_read_buffer
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
    page.evaluate(AXE.read_text())  # not a <script>: the CSP forbids inline ones
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
PLACES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Accra", "Perth", "Tallinn", "Cusco"]
REASONS = ("Because you read", "More from", "Popular in", "New in")
LATER = [
    "Airport opens a second runway", "Wheat harvest beats forecasts",
    "Court rules on data retention", "Parliament passes the budget",
    "Rail strike called off after talks", "Solar farm approved on the coast",
    "Museum returns looted bronzes", "Storm warning for the north coast",
    "Carmaker recalls electric vans", "City bans cars from the old town",
    "Hospital waiting lists grow again", "New bridge opens to traffic",
]  # fmt: skip
WIDTHS = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}


@pytest.fixture
def counter(settings, index_in_tmp):
    """The process's view counter and read buffer without writer threads: the
    test flushes views itself, and reads stay buffered (as they do for up to a
    flush interval on a live site). A related index of this test's own."""
    settings.NEWSDESK_RECOMMEND_BACKGROUND_LOAD = False
    settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS = 0
    recommend_selectors.reset_recommender()
    c = BufferedCounter(autostart=False)
    old = set_counter(c)
    old_reads = set_read_buffer(ReadBuffer(autostart=False))
    yield c
    set_counter(old)
    set_read_buffer(old_reads)
    recommend_selectors.reset_recommender()


def reader_user_agent(browser) -> str:
    """Chromium's own user agent without "Headless", which marks a robot: the
    beacon does not count robots' views."""
    page = browser.new_page()
    agent = page.evaluate("navigator.userAgent")
    page.close()
    return agent.replace("HeadlessChrome", "Chrome")


def reader(browser, *, scheme="light", width="desktop"):
    """A reader's browser: its own cookies, a normal user agent."""
    context = browser.new_context(
        color_scheme=scheme,
        viewport=WIDTHS[width],
        user_agent=reader_user_agent(browser),
    )
    return context.new_page()


def read_as_a_reader(page, url: str) -> None:
    """Open an article and wait until its beacon (engagement.js) has been answered."""
    with page.expect_response(lambda r: "/engagement/beacon/" in r.url) as beacon:
        page.goto(url)
    assert beacon.value.status == 204
    # The page's other requests (counts, the personal list) finish too: the test
    # then writes to tables they read, and an in-memory SQLite test database
    # refuses a write while another thread reads the table.
    page.wait_for_load_state("networkidle")


def hrefs(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )


def most_read_hrefs(page) -> list[str]:
    return hrefs(page, 'section[data-block="most-read"] ol li a')


def screenshots(page, name: str, scheme: str) -> None:
    """Full-page screenshots of the page at desktop and phone widths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size in WIDTHS.values():
        page.set_viewport_size(size)
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{size['width']}-{scheme}.png"),
            full_page=True,
        )
    page.set_viewport_size(WIDTHS["desktop"])


def make_site(tree, make_article):
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
    # Newer news, so that the front page (19 stories) does not hold them all.
    for i, h in enumerate(LATER):
        make_article(tree["world" if i % 2 else "finance"], age_hours=1.5 - i / 10,
                     headline=h, body=f"<p>{h}, reports said.</p>")  # fmt: skip
    return finance, world


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reader_walks_home_section_article(
    browser, live_server, tree, ap, make_article, counter, scheme
):
    finance, world = make_site(tree, make_article)
    story = make_article(
        tree["finance"],
        headline="US and China launch talks on fentanyl trafficking",
        standfirst="A sign of cooperation.",
        source=ap,
        dateline="BEIJING",
        body="<p>American and Chinese officials met Tuesday.</p>",
        age_hours=1,
    )
    page = reader(browser, scheme=scheme)
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
    lead = page.locator(".lead")
    assert lead.get_by_role("heading", level=2).inner_text() == story.headline
    assert "A sign of cooperation." in lead.inner_text()
    assert page.locator(".top-stories .card").count() >= 1
    assert page.locator(".section-front").count() == 2  # Business, World
    assert axe_violations(page) == []
    screenshots(page, "home", scheme)

    page.get_by_role("navigation", name="Sections").get_by_role(
        "link", name="Business"
    ).click()
    page.wait_for_url("**/business/")
    assert page.locator("h1").inner_text() == "Business"
    assert axe_violations(page) == []
    screenshots(page, "section", scheme)

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
    shown = hrefs(page, "section[data-block] ol li a")
    assert len(shown) == len(set(shown)) and story.get_absolute_url() not in shown
    assert finance  # the section's other stories fill its lists
    assert axe_violations(page) == []
    screenshots(page, "article", scheme)

    # Phone width: one column, blocks after the body; a compact masthead.
    page.set_viewport_size(WIDTHS["phone"])
    body_box = page.locator(".story .body").bounding_box()
    aside_box = page.locator("aside.secondary").bounding_box()
    assert aside_box["y"] > body_box["y"]
    assert page.locator(".masthead").bounding_box()["height"] < 110
    assert axe_violations(page) == []
    page.close()


def test_most_read_lists_only_articles_read_in_its_window(
    browser, live_server, tree, make_article, counter
):
    finance, world = make_site(tree, make_article)
    page = reader(browser)
    page.goto(live_server.url + "/")
    # Nothing read yet: the list is not called "Most read".
    title = page.locator('section[data-block="most-read"] h2').inner_text()
    assert not title.startswith("Most read"), title
    read_as_a_reader(page, live_server.url + finance[5].get_absolute_url())
    counter.flush()
    cache.clear()
    page.goto(live_server.url + world[0].get_absolute_url())
    block = page.locator('section[data-block="most-read"]')
    assert block.locator("h2").inner_text() == "Most read (24 h)"
    # One article was read: one item, not four newest ones under its title.
    assert most_read_hrefs(page) == [finance[5].get_absolute_url()]


@pytest.mark.parametrize("where", ["home", "article"])
def test_recommended_never_lists_what_the_reader_read(
    browser, live_server, tree, make_article, counter, where
):
    finance, world = make_site(tree, make_article)
    for i, place in enumerate(PLACES):  # more than one page can show
        make_article(tree["world"], age_hours=10 + i,
                     headline=f"{place} votes on a new mayor",
                     body=f"<p>{place} picks from {i + 2} people.</p>")  # fmt: skip
    page = reader(browser)
    # Reads still in the write buffer: counted a moment ago, not written yet.
    read = [finance[0], finance[1], world[0], world[1], world[2]]
    for article in read:
        read_as_a_reader(page, live_server.url + article.get_absolute_url())
    url = "/" if where == "home" else finance[3].get_absolute_url()
    page.goto(live_server.url + url)
    block = page.locator('section[data-block="recommended"]')
    # A locator wait, not wait_for_function: the CSP forbids evaluating strings.
    block.locator("[data-personal]").first.wait_for(state="attached")
    assert block.locator("h2").inner_text() == "Recommended for you"
    listed = hrefs(page, '[data-block="recommended"] li a')
    assert listed, "the reader has unread articles to be offered"
    assert not set(listed) & {a.get_absolute_url() for a in read}
    # Each item says why, naming a real signal.
    for why in block.locator(".why").all_inner_texts():
        assert why.startswith(REASONS), why
    assert axe_violations(page) == []


def test_related_is_never_padded_with_unrelated_articles(
    browser, live_server, tree, make_article, counter
):
    finance, world = make_site(tree, make_article)
    story = make_article(
        tree["finance"],
        headline="Copper miners strike over pay as copper price climbs",
        body="<p>Copper miners at the copper mine strike; the copper price "
        "rose again.</p>",
        age_hours=0.5,
    )
    page = reader(browser)
    page.goto(live_server.url + story.get_absolute_url())
    related = set(
        RelatedLink.objects.filter(article=story)
        .select_related("related")
        .values_list("related__pk", flat=True)
    )
    title = page.locator('section[data-block="related"] h2').inner_text()
    listed = hrefs(page, '[data-block="related"] li a')
    if title == "Related":
        ids = {int(h.split("/")[2]) for h in listed}
        assert ids and ids <= related, (listed, related)
    else:
        assert not related and title == "More in this section"
    copper = finance[2].get_absolute_url()  # "Copper price hits a two-year high"
    assert title == "Related" and copper in listed


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

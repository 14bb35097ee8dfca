"""A reader's walk through the site in real Chromium: home -> section -> article.

Runs axe-core on every page of the walk (WCAG 2.2 AA rules, zero violations).
"""

from __future__ import annotations

import os
import shutil

import pytest

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


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reader_walks_home_section_article(
    browser, live_server, tree, ap, make_article, scheme
):
    for i in range(6):
        make_article(tree["finance"], age_hours=i + 2, headline=f"Finance story {i}")
        make_article(tree["world"], age_hours=i + 2, headline=f"World story {i}")
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
        color_scheme=scheme, viewport={"width": 1280, "height": 900}
    )
    page.goto(live_server.url + "/")
    assert page.title().startswith("newsdesk")
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
    hrefs = page.locator("section[data-block] ol li a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(hrefs) == len(set(hrefs)) and story.get_absolute_url() not in hrefs
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

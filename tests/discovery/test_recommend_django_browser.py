"""The personal block in real Chromium: swapped in place, without layout shift."""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.discovery.recommend import actions as recommend_actions
from newsdesk.discovery.recommend import selectors as recommend_selectors
from newsdesk.discovery.recommend.actions import ReadBuffer, do_record_reads
from newsdesk.engagement.readers import COOKIE_NAME, cookie_key
from newsdesk.news.actions import do_save_category
from newsdesk.news.models import Article, Category
from tests.conftest import REPO, require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Sums the layout shifts of the page (Cumulative Layout Shift without windows).
CLS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


@pytest.fixture
def browser(settings):
    require(os.path.exists(CHROMIUM), "chromium is missing (apt-get install chromium)")
    require(AXE.exists(), f"{AXE} is missing: run `make tools` (needs npm)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.NEWSDESK_RECOMMEND_REFRESH_SECONDS = 0
    settings.NEWSDESK_RECOMMEND_BACKGROUND_LOAD = False
    recommend_selectors.reset_recommender()
    old = recommend_actions.set_read_buffer(ReadBuffer(autostart=False))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    recommend_actions.set_read_buffer(old)
    recommend_selectors.reset_recommender()


def test_personal_list_replaces_the_shared_one_in_place(browser, live_server):
    n = itertools.count()
    articles = []
    for name in ("Sport", "Business", "Science", "Travel"):
        category = do_save_category(Category(name=name, slug=name.lower()))
        for topic in ("final", "market", "trial", "route"):
            i = next(n)
            articles.append(
                Article.objects.create(
                    headline=f"{name} {topic} report number {i}",
                    slug=f"s-{i}",
                    body="<p>Text.</p>",
                    category=category,
                    status=Article.Status.PUBLISHED,
                    published_at=timezone.now() - timedelta(hours=1 + i),
                )
            )
    cookie = "browserreader0000000000000"
    now = int(timezone.now().timestamp())
    do_record_reads([(cookie_key(cookie), articles[0].pk, now - 300)])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(live_server.url + articles[5].get_absolute_url())
    block = page.locator('[data-block="recommended"]')
    # A locator wait, not wait_for_function: the CSP forbids evaluating strings.
    block.locator("h2", has_text="Recommended for you").wait_for()
    items = block.locator("li")
    assert items.count() >= 1
    assert block.locator(".why").count() == items.count()
    hrefs = block.locator("li a").evaluate_all("as => as.map(a => a.pathname)")
    assert articles[0].get_absolute_url() not in hrefs  # read
    assert articles[5].get_absolute_url() not in hrefs  # current
    assert page.evaluate(CLS) < 0.01
    block.get_by_role("link", name="Why these? Your reading history").click()
    page.wait_for_url("**/reader/")
    assert articles[0].headline in page.content()
    page.evaluate(AXE.read_text())  # not a <script>: the CSP forbids inline ones
    violations = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
        ".then(r => r.violations.map(v => v.id))"
    )
    assert violations == []

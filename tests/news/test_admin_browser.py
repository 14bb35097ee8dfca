"""An editor's morning in real Chromium: dashboard, write, preview, schedule; then a
reader sees the article at its minute with a responsive image that loads.

axe-core (WCAG 2.2 AA) runs on every admin page used. Screenshots go to
var/screenshots/editors/; with NEWSDESK_SCREENSHOTS=1 they are made for
docs/editors.md instead: the visible window only, reduced to 256 colours, in
docs/img/editors/ (commit them when the admin changes).
"""

from __future__ import annotations

import importlib
import io
import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from newsdesk.engagement.models import Reaction, ViewBucket
from newsdesk.news.models import Article
from tests.conftest import REPO
from tests.news.test_browser import axe_violations, browser  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHOTO = Path(__file__).parent / "testdata" / "china.jpg"
SHOTS = REPO / "var" / "screenshots" / "editors"
LEAD_SECONDS = 25  # how far ahead the article is scheduled


@pytest.fixture
def editor_account(django_user_model):
    # Transactional tests flush the groups the migration made: make them again.
    groups = importlib.import_module("newsdesk.news.migrations.0003_editor_groups")
    groups.create_groups(apps, None)
    importlib.import_module("newsdesk.news.migrations.0008_body_images").grant(
        apps, None
    )
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        "editor", password="a long editor password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editor"))
    return user


def seed_activity(tree, make_article):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for i, section in enumerate(["finance", "world", "finance", "world"]):
        article = make_article(
            tree[section], headline=f"Morning story {i}", age_hours=i + 3
        )
        for h in range(0, 48, 2):
            ViewBucket.objects.create(
                article=article,
                hour=hour - timedelta(hours=h),
                views=(i + 1) * (h % 7 + 1),
            )
        Reaction.objects.create(article=article, reader=i, kind="good")


DOC_SHOTS = REPO / "docs" / "img" / "editors"


def shot(page, name: str, *, top: str = "") -> None:
    """A screenshot; for the docs, the window with the `top` element at its top."""
    if os.environ.get("NEWSDESK_SCREENSHOTS") != "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        return
    from PIL import Image

    if top:
        page.locator(top).first.evaluate("e => e.scrollIntoView({block: 'start'})")

    # Screens of flat colours and text: a 256-colour palette keeps them sharp
    # at a fifth of the size of the full-colour PNG.
    image = Image.open(io.BytesIO(page.screenshot(full_page=False)))
    image = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(DOC_SHOTS / f"{name}.png", optimize=True)


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def test_editor_writes_previews_schedules_and_reader_sees_it_live(
    browser,  # noqa: F811
    live_server,
    editor_account,
    tree,
    make_article,
):
    seed_activity(tree, make_article)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()

    # Sign in: the front page is the newsroom dashboard.
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a long editor password")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    assert page.locator("h1").inner_text() == "newsdesk newsroom"
    assert page.locator("svg.nd-chart[role=img]").count() >= 3
    assert_accessible(page, "dashboard")
    shot(page, "dashboard")

    # Write.
    page.goto(live_server.url + "/admin/news/article/add/")
    page.fill("#id_headline", "Council approves the city budget")
    assert "of 70 characters" in page.locator("#id_headline_count").inner_text()
    page.fill("#id_standfirst", "Roads and schools get most of the money.")
    editor = page.locator(".field-body .ProseMirror[contenteditable=true]")
    editor.click()
    page.keyboard.type("## What was decided")
    page.keyboard.press("Enter")
    page.keyboard.type("The council ")
    page.keyboard.press("Control+b")
    page.keyboard.type("approved")
    page.keyboard.press("Control+b")
    page.keyboard.type(" the budget: https://example.org/budget ")
    page.keyboard.press("Enter")
    page.keyboard.type("- Roads")
    page.keyboard.press("Enter")
    page.keyboard.type("Schools")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("The vote was 31 to 12.")
    page.keyboard.press("Enter")

    # An image in the body, uploaded through the figure dialog's library.
    page.locator(".prose-menubar__button[title=figure]").click()
    dialog = page.locator("dialog[open]")
    with context.expect_page() as library_opened:
        dialog.get_by_role("button", name="Browse...").click()
    library = library_opened.value
    library.wait_for_load_state()
    assert_accessible(library, "image library")
    library.set_input_files("#id_file", str(PHOTO))
    library.fill("#id_alt", "The roof of a pagoda")
    library.fill("#id_caption", "The Summer Palace")
    library.fill("#id_credit", "danielbuechele")
    library.fill("#id_licence", "CC BY 2.0")
    with library.expect_event("close"):
        library.click("input[type=submit][value=Upload]")
    assert dialog.locator("input[name=altText]").input_value() == "The roof of a pagoda"
    dialog.locator("button[type=submit]").click()
    assert page.locator(".field-body .ProseMirror figure img").count() == 1

    page.locator(".field-category .select2-selection").click()
    page.fill(".select2-search__field", "World")
    page.locator(".select2-results__option", has_text="World").first.click()
    page.fill("#id_tag_names", "budget, city council")
    page.set_input_files("#id_lead_image", str(PHOTO))
    page.fill("#id_lead_image_alt", "A pagoda roof against a blue sky")
    page.fill("#id_lead_image_credit", "danielbuechele")
    page.fill("#id_lead_image_licence", "CC BY 2.0")
    assert_accessible(page, "add article form")
    # The body looks as the page will: the admin's own heading band and
    # bullet-less, shifted lists do not reach into the editor.
    looks = editor.evaluate(
        "e => [getComputedStyle(e.querySelector('h2')).backgroundColor,"
        " getComputedStyle(e.querySelector('ul > li')).listStyleType,"
        " e.querySelector('ul').getBoundingClientRect().left"
        " - e.getBoundingClientRect().left]"
    )
    assert looks[:2] == ["rgba(0, 0, 0, 0)", "disc"], looks
    assert looks[2] < 60, looks
    shot(page, "write", top=".field-headline")
    shot(page, "lead-image", top=".field-lead_image")

    # Preview the unsaved article in a new tab.
    with context.expect_page() as opened:
        page.get_by_role("button", name="Preview").click()
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.locator("h1").inner_text() == "Council approves the city budget"
    body = preview.locator(".story .body")
    assert body.locator("h2").inner_text() == "What was decided"
    # Where the browser puts the space typed before Ctrl+B varies; the word is bold.
    assert body.locator("strong").inner_text().strip() == "approved"
    assert body.locator("a[href='https://example.org/budget']").count() == 1
    assert body.locator("ul li").all_inner_texts() == ["Roads", "Schools"]
    assert "Readers cannot see this page yet" in preview.content()
    shot(preview, "preview")
    preview.close()
    assert Article.objects.filter(headline__startswith="Council").count() == 0

    # Schedule it a little ahead and save.
    page.select_option("#id_status", "scheduled")
    at = timezone.now() + timedelta(seconds=LEAD_SECONDS)
    page.fill("#id_published_at_0", at.strftime("%Y-%m-%d"))
    page.fill("#id_published_at_1", at.strftime("%H:%M:%S"))
    page.click("input[name=_save]")
    page.wait_for_url(live_server.url + "/admin/news/article/")
    row = page.locator("tr", has_text="Council approves the city budget")
    assert row.locator(".nd-status").inner_text().startswith("Scheduled")
    # Every column fits at 1366 px: no sideways scrolling to find the views.
    assert page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; }"
    ), page.evaluate(
        "() => [document.querySelector('#changelist .results').clientWidth,"
        " ...[...document.querySelectorAll('#result_list thead th')]"
        ".map(t => t.className.split(' ').pop() + ':' + t.offsetWidth)].join(' ')"
    )
    assert_accessible(page, "article list")
    shot(page, "list")

    article = Article.objects.get(headline="Council approves the city budget")
    saved = article.body
    assert "<h2>What was decided</h2>" in saved
    assert re.search(r"<strong>\s?approved</strong>", saved), saved
    assert re.search(r'<a href="https://example.org/budget"[^>]*>', saved)
    assert "<ul><li><p>Roads</p></li><li><p>Schools</p></li></ul>" in saved
    assert sorted(t.name for t in article.tags.all()) == ["budget", "city council"]
    figure = re.search(r'<figure class="figure"><img src="([^"]+)"[^>]*>', saved)
    assert figure and 'alt="The roof of a pagoda"' in figure.group(0)
    assert "<figcaption>The Summer Palace</figcaption>" in saved

    # A reader: nothing before its minute, the article with its image after.
    reader = browser.new_context(viewport={"width": 390, "height": 844})
    reader_page = reader.new_page()
    url = live_server.url + article.get_absolute_url()
    assert reader_page.goto(url).status == 404
    time.sleep(max(0.0, (article.published_at - timezone.now()).total_seconds()) + 1)
    response = reader_page.goto(url)
    assert response.status == 200
    image = reader_page.locator("figure.lead-image img")
    image.scroll_into_view_if_needed()
    reader_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.get_attribute("alt") == "A pagoda roof against a blue sky"
    assert image.get_attribute("width") and image.get_attribute("height")
    sets = reader_page.locator("figure.lead-image source, figure.lead-image img")
    candidates = set()
    for srcset in sets.evaluate_all("els => els.map(e => e.getAttribute('srcset'))"):
        assert srcset, "every source of the picture has a srcset"
        candidates |= {part.strip().split(" ")[0] for part in srcset.split(",")}
    candidates.add(image.get_attribute("src"))
    assert len(candidates) >= 4
    for candidate in candidates:
        answer = reader.request.get(live_server.url + candidate)
        assert answer.status == 200, candidate
        assert answer.headers["content-type"].startswith("image/"), candidate
    body_image = reader_page.locator(".story .body figure img")
    body_image.scroll_into_view_if_needed()
    reader_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=body_image.element_handle()
    )
    shot(reader_page, "reader")
    reader.close()

    # Back in the list the article now shows as it is: live.
    page.reload()
    row = page.locator("tr", has_text="Council approves the city budget")
    assert row.locator(".nd-status").inner_text() == "Live"

    # The article's page in the admin: views sparkline (none yet) and the form.
    page.goto(live_server.url + f"/admin/news/article/{article.pk}/change/")
    assert page.locator(".field-views_sparkline").count() == 1
    assert_accessible(page, "change article form")
    shot(page, "change")
    context.close()

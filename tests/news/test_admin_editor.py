"""The editor's side of the admin: rich-text body, preview, tags, status, list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from newsdesk.news.admin import status_label
from newsdesk.news.editor import (
    EDITOR_ATTRIBUTES_DROPPED,
    FEED_ONLY_TAGS,
    editor_allowlist,
)
from newsdesk.news.models import Article, Tag
from newsdesk.news.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_html
from tests.news.admin_forms import article_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


def form(section, **overrides):
    fields = {
        "headline": "Council approves budget",
        "body": "<p>Approved.</p>",
        "status": "draft",
        **overrides,
    }
    return article_form(section, **fields)


def test_editor_markup_and_sanitizer_allowlist_match_exactly():
    tags, attributes = editor_allowlist()
    assert tags <= ALLOWED_TAGS, "the editor makes markup the sanitizer strips"
    assert tags | FEED_ONLY_TAGS == ALLOWED_TAGS
    assert not tags & FEED_ONLY_TAGS
    for tag, attrs in attributes.items():
        kept = ALLOWED_ATTRIBUTES.get(tag, set()) | (
            {"class"} if tag == "figure" else set()
        )
        lost = {a for a in attrs - kept if (tag, a) not in EDITOR_ATTRIBUTES_DROPPED}
        assert not lost, f"<{tag}> {lost} would be stripped on save"


EDITOR_OUTPUT = (
    "<h2>What was decided</h2><p>The council <strong>approved</strong> the "
    '<a href="https://example.org/budget" rel="noopener noreferrer nofollow">'
    "budget</a>.</p><ul><li><p>Roads</p></li><li><p>Schools</p></li></ul>"
    '<ol start="3"><li><p>Third</p></li></ol><blockquote><p>Quote</p></blockquote>'
    '<figure class="figure"><img src="https://example.org/a.jpg" alt="A road">'
    "<figcaption>A road</figcaption></figure>"
)


def test_what_the_editor_makes_survives_sanitizing():
    cleaned = clean_html(EDITOR_OUTPUT)
    # The sanitizer only adds lazy loading to images.
    assert 'loading="lazy"' in cleaned
    cleaned = cleaned.replace(' loading="lazy"', "").replace(' decoding="async"', "")
    assert cleaned == EDITOR_OUTPUT


def test_pasted_office_markup_is_cleaned_on_save(editor, tree):
    pasted = (
        '<p class="MsoNormal" style="mso-line-height:150%"><span lang="EN-GB" '
        'style="font-family:Calibri">Hello</span><o:p></o:p></p>'
        '<b style="font-weight:normal" id="docs-internal-guid-1">'
        '<span style="font-size:11pt">Docs</span></b><script>x()</script>'
    )
    response = editor.post("/admin/news/article/add/", form(tree["world"], body=pasted))
    assert response.status_code == 302
    body = Article.objects.get().body
    assert "style" not in body and "class" not in body and "script" not in body
    assert "Hello" in body and "Docs" in body


def test_the_body_field_is_the_self_hosted_editor(editor, tree):
    page = editor.get("/admin/news/article/add/").content.decode()
    assert "data-django-prose-editor-configurable" in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any("django_prose_editor/" in s for s in scripts)
    assert all(s.startswith("/") and not s.startswith("//") for s in scripts), scripts
    assert 'data-advice="70"' in page and 'data-advice="160"' in page
    assert "newsdesk newsroom" in page and "Django administration" not in page


def test_tags_are_typed_and_new_ones_created(editor, tree):
    Tag.objects.create(name="Vanderbijlpark scholar transport crash", slug="v")
    existing = Tag.objects.create(name="budget", slug="budget")
    response = editor.post(
        "/admin/news/article/add/",
        form(tree["world"], tag_names="park, Budget,  Park , new   tag,"),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    article = Article.objects.get()
    names = sorted(t.name for t in article.tags.all())
    assert names == ["budget", "new tag", "park"]
    assert existing in article.tags.all()
    assert not article.tags.filter(name__startswith="Vanderbijlpark").exists()
    page = editor.get(f"/admin/news/article/{article.pk}/change/").content.decode()
    assert 'name="tag_names"' in page and "budget" in page


def test_preview_shows_unsaved_changes_and_saves_nothing(editor, tree, make_article):
    article = make_article(tree["world"], headline="Saved headline")
    data = form(
        tree["world"],
        headline="Unsaved headline",
        body="<h2>New section</h2><p>Draft text</p>",
        status="published",
        _preview_pk=str(article.pk),
    )
    response = editor.post("/admin/news/article/preview/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Unsaved headline</h1>" in page
    assert "<h2>New section</h2>" in page
    assert "Readers cannot see this page yet" in page
    article.refresh_from_db()
    assert article.headline == "Saved headline"

    new = editor.post("/admin/news/article/preview/", form(tree["world"]))
    assert new.status_code == 200 and "Council approves budget" in new.content.decode()
    assert Article.objects.count() == 1
    nothing = editor.post(
        "/admin/news/article/preview/", form(tree["world"], category="")
    )
    assert nothing.status_code == 400
    assert editor.get("/admin/news/article/preview/").status_code == 403


def test_preview_needs_staff(client, tree):
    response = client.post("/admin/news/article/preview/", form(tree["world"]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_status_is_shown_as_it_is_for_readers(tree, make_article):
    now = timezone.now()
    past = make_article(tree["world"], status=Article.Status.SCHEDULED, age_hours=1)
    future = make_article(tree["world"], status=Article.Status.SCHEDULED, age_hours=-2)
    draft = make_article(tree["world"], status=Article.Status.DRAFT)
    assert status_label(past) == ("Live", "live")
    label, css = status_label(future)
    assert css == "scheduled" and label.startswith("Scheduled ")
    assert status_label(draft) == ("Draft", "draft")
    assert future.published_at > now + timedelta(hours=1)


def test_changelist_shows_live_status_and_compact_columns(editor, tree, make_article):
    make_article(tree["world"], headline="Went live by itself", status="scheduled")
    page = editor.get("/admin/news/article/").content.decode()
    row = page[page.index("Went live by itself") :]
    row = row[: row.index("</tr>")]
    assert 'class="nd-status nd-live">Live<' in row
    assert "newsdesk/admin/newsroom.css" in page

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from newsdesk.news import actions
from newsdesk.news.models import Article, Category

pytestmark = pytest.mark.django_db


def test_category_paths_follow_the_tree_to_any_depth(make_category):
    a = make_category("Business")
    b = make_category("Markets", parent=a)
    c = make_category("Bonds & Rates", parent=b)
    assert (a.path, b.path, c.path) == (
        "business",
        "business/markets",
        "business/markets/bonds-rates",
    )
    assert c.depth == 2 and c.root_id == a.pk and a.root_id == a.pk
    # Renaming a parent's slug moves the whole subtree.
    a.slug = "economy"
    actions.do_save_category(a)
    c.refresh_from_db()
    assert c.path == "economy/markets/bonds-rates"


def test_category_slug_reserved_for_site_paths_is_rejected():
    with pytest.raises(ValidationError, match="used by the site"):
        Category(name="Search", slug="search").full_clean()


def test_category_cannot_be_its_own_ancestor(make_category):
    a = make_category("A")
    b = make_category("B", parent=a)
    a.parent = b
    with pytest.raises(ValidationError, match="inside itself"):
        a.clean()


def test_body_is_sanitized_on_every_save(tree):
    article = Article(
        headline="X",
        slug="x",
        category=tree["world"],
        body='<p onclick="steal()">Hi<script>alert(1)</script>'
        '<a href="javascript:x()">l</a></p>',
    )
    article.save()  # not even through actions
    article.refresh_from_db()
    assert "script" not in article.body and "onclick" not in article.body
    assert "javascript:" not in article.body
    assert article.body_text == "Hil"


def png_file(name="x.png", size=(8, 6)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_lead_image_requires_alt_text_at_the_database_level(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    article = Article(
        headline="X", slug="x", category=tree["world"], lead_image=png_file()
    )
    with pytest.raises(ValidationError, match="Describe the image"):
        article.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()
    article.lead_image_alt = "A white rectangle"
    article.save()
    assert (article.lead_image_width, article.lead_image_height) == (8, 6)


def test_scheduled_article_goes_live_at_its_time_without_cron(make_article, tree):
    soon = make_article(tree["world"], status=Article.Status.SCHEDULED, age_hours=-1)
    assert not soon.is_live()
    assert soon not in Article.objects.live()
    an_hour_later = timezone.now() + timedelta(hours=1, seconds=1)
    assert soon.is_live(an_hour_later)
    assert soon in Article.objects.live(an_hour_later)


def test_draft_and_withdrawn_are_never_live(make_article, tree):
    draft = make_article(tree["world"], status=Article.Status.DRAFT)
    gone = make_article(tree["world"], status=Article.Status.WITHDRAWN)
    live = set(Article.objects.live())
    assert draft not in live and gone not in live


def test_publish_sets_time_and_schedule_in_the_future(make_article, tree):
    draft = make_article(tree["world"], status=Article.Status.DRAFT)
    draft.published_at = None
    at = timezone.now() + timedelta(days=1)
    actions.do_publish(draft, at=at)
    assert draft.status == Article.Status.SCHEDULED and draft.published_at == at
    actions.do_publish(draft)
    assert draft.status == Article.Status.PUBLISHED


def test_upsert_is_idempotent_and_updates_on_new_version(tree, ap):
    fields = {
        "headline": "Talks begin",
        "body": "<p>One.</p>",
        "category": tree["world"],
        "status": Article.Status.PUBLISHED,
        "published_at": timezone.now(),
    }
    first = actions.do_upsert_article(
        source=ap, external_id="guid-1", fields=fields, tag_names=["China", "US"]
    )
    again = actions.do_upsert_article(
        source=ap, external_id="guid-1", fields=dict(fields), tag_names=["China", "US"]
    )
    assert first.created and not again.created and not again.changed
    assert Article.objects.count() == 1
    assert first.article.noindex, "wire copy of a noindex source is noindex by default"
    newer = actions.do_upsert_article(
        source=ap,
        external_id="guid-1",
        fields={**fields, "body": "<p>Two.</p>"},
        tag_names=["China", "US"],
    )
    assert newer.changed and Article.objects.get().body == "<p>Two.</p>"


def test_source_and_external_id_are_unique(tree, ap):
    Article.objects.create(
        headline="a", slug="a", category=tree["world"], source=ap, external_id="g"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(
            headline="b", slug="b", category=tree["world"], source=ap, external_id="g"
        )


def test_full_text_triggers_survive_all_migrations(settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 triggers exist on SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}
    assert {
        "news_article_fts_ai",
        "news_article_fts_ad",
        "news_article_fts_au",
    } <= triggers

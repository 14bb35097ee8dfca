"""The page-extension registry (news.extensions): apps register, settings order
and turn off, and the page lays out slots without knowing other apps' keys."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from newsdesk.conf import load_plugin
from newsdesk.news import blocks, extensions
from tests.news.test_pages import blocks_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(tree, make_article):
    for i in range(8):
        make_article(tree["finance"], age_hours=2 + i)
    for i in range(6):
        make_article(tree["world"], age_hours=3 + i)
    return make_article(tree["finance"], headline="The story", age_hours=0.5)


def _page(story) -> str:
    response = Client().get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_load_plugin_has_one_convention_for_default_and_off():
    default = object()
    assert load_plugin("", default) is default
    assert load_plugin("  ", default) is default
    assert load_plugin("off", default) is None
    assert load_plugin("OFF", default) is None
    assert load_plugin("newsdesk.news.blocks.more_news", default) is blocks.more_news
    with pytest.raises(ImportError):
        load_plugin("newsdesk.news.blocks.no_such_thing", default)


def test_apps_register_their_own_extensions():
    from newsdesk.discovery.related.providers import duplicate_groups, related
    from newsdesk.engagement.providers import most_read

    keys = extensions.registered()
    for key in ("views", "reactions", "most-read", "related", "recommended"):
        assert key in keys
    by_key = {e.key: e for e in extensions.extensions()}
    # Empty settings mean what the owning app registered, not news's built-ins.
    assert by_key["related"].get_provider() is related
    assert by_key["most-read"].get_provider() is most_read
    assert extensions.get_duplicate_groups() is duplicate_groups


def test_off_provider_shows_the_builtin_list(settings):
    settings.NEWSDESK_RELATED_PROVIDER = "off"
    settings.NEWSDESK_DUPLICATE_GROUPS = "off"
    by_key = {e.key: e for e in extensions.extensions()}
    assert by_key["related"].get_provider() is blocks.newest_in_category
    assert extensions.get_duplicate_groups() is None


def test_settings_turn_extensions_off(story, settings):
    html = _page(story)
    assert 'class="reactions"' in html and "engagement.js" in html
    assert "most-read" in blocks_of(html).blocks
    settings.NEWSDESK_ARTICLE_EXTENSIONS_OFF = ["reactions", "most-read", "views"]
    html = _page(story)
    assert 'class="reactions"' not in html and "engagement.js" not in html
    assert 'class="views"' not in html
    found = blocks_of(html).blocks
    assert "most-read" not in found and found["related"] and found["recommended"]


def test_settings_reorder_extensions_within_their_slot(story, settings):
    def aside_order(html):
        return re.findall(r'data-block="([a-z-]+)"', html)

    assert aside_order(_page(story)) == ["related", "most-read", "recommended"]
    settings.NEWSDESK_ARTICLE_EXTENSIONS = ["recommended"]
    assert aside_order(_page(story)) == ["related", "recommended", "most-read"]


def test_a_block_registered_by_an_app_appears_without_touching_news(story, settings):
    settings.NEWSDESK_BLOCK_SIZE = 2

    def provider(*, request, article, exclude, limit):
        return []

    extensions.register_block(
        "test-block", title="Test block", provider=provider,
        fallback=blocks.newest_site_wide, pages=("article", "home"),
    )  # fmt: skip
    try:
        html = _page(story)
        found = blocks_of(html).blocks
        assert found["test-block"]  # the fallback filled it, under its own title
        assert "Latest" in html
        assert 'data-block="test-block"' in Client().get("/").content.decode()
    finally:
        extensions._registry.pop("test-block")


def test_an_extra_renders_its_own_template_and_its_articles_are_purge_tags(story):
    extensions.register_extra(
        "test-extra", slot="body", template="news/_breadcrumb.html",
        context=lambda request, article: {"articles": [article]},
    )  # fmt: skip
    try:
        response = Client().get(story.get_absolute_url())
        assert f",a{story.pk}," in response["X-Cache-Tags"]
    finally:
        extensions._registry.pop("test-extra")


def test_registration_rejects_unknown_slots():
    with pytest.raises(ValueError, match="slot"):
        extensions.register_extra(
            "bad", slot="footer", template="x.html", context=lambda r, a: {}
        )
    assert "bad" not in extensions.registered()

"""One write path for a source's articles (news.actions.do_upsert_article):
ingest, file imports and the demo go through it, and a body is sanitized once."""

from __future__ import annotations

import json

import pytest

from newsdesk.ingest import processor
from newsdesk.ingest import runs as ingest_runs
from newsdesk.ingest.processor import Target
from newsdesk.news import actions, models, sanitize
from newsdesk.news.models import Article

pytestmark = pytest.mark.django_db

MARK = "marker-7f3a"
BODY = f'<p onclick="x()">{MARK} <a href="/rel">link</a></p><script>bad()</script>'


@pytest.fixture
def calls(monkeypatch):
    """Counts the writes through do_upsert_article and the sanitizer's passes
    over the test body, wherever the sanitizer was imported."""
    seen = {"upserts": 0, "cleans": 0}
    upsert = actions.do_upsert_article
    clean = sanitize.clean_html

    def counting_upsert(**kwargs):
        seen["upserts"] += 1
        return upsert(**kwargs)

    def counting_clean(raw, **kwargs):
        if MARK in (raw or ""):
            seen["cleans"] += 1
        return clean(raw, **kwargs)

    monkeypatch.setattr(actions, "do_upsert_article", counting_upsert)
    # Every module that may hold its own reference (older code imported it by
    # name into news.actions and news.models too).
    for module in (sanitize, processor, models, actions):
        if hasattr(module, "clean_html"):
            monkeypatch.setattr(module, "clean_html", counting_clean)
    return seen


def _feed(tmp_path, body=BODY):
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Wire",
                "home_page_url": "https://wire.example/",
                "items": [
                    {
                        "id": "urn:wire:1",
                        "url": "https://wire.example/a/1",
                        "title": "Port strike halts traffic",
                        "content_html": body,
                        "date_published": "2026-11-27T08:00:00Z",
                    }
                ],
            }
        )
    )
    return path


def _target(world):
    return Target(
        source=actions.get_or_create_source("Wire", url="https://wire.example/"),
        category=world,
        publish=True,
        near_duplicates=False,
    )


@pytest.fixture
def world(db):
    return actions.get_or_create_category_path([("World", "world")])


def test_an_ingested_body_is_sanitized_once_and_stored_clean(calls, world, tmp_path):
    counts = ingest_runs.do_import_file(_feed(tmp_path), target=_target(world))
    assert counts.created == 1
    assert calls["upserts"] == 1
    # The processor cleans it with the item's URL as base; actions and
    # Article.save keep what clean_html made (it used to be cleaned 3 times).
    assert calls["cleans"] == 1
    article = Article.objects.get()
    assert "script" not in article.body and "onclick" not in article.body
    assert 'href="https://wire.example/rel"' in article.body
    assert article.body == sanitize.clean_html(article.body)  # a fixed point
    # A re-run of the same feed changes nothing and cleans once more at most.
    again = ingest_runs.do_import_file(_feed(tmp_path), target=_target(world))
    assert again.unchanged == 1 and calls["upserts"] == 2


def test_a_body_from_elsewhere_is_still_sanitized_on_save(world):
    article = Article(headline="Raw", category=world, body=BODY)
    actions.do_save_article(article)
    article.refresh_from_db()
    assert "script" not in article.body and MARK in article.body


def test_upsert_is_idempotent(world):
    source = actions.get_or_create_source("Wire")
    fields = {"headline": "One", "body": BODY, "category": world}
    first = actions.do_upsert_article(source=source, external_id="x1", fields=fields)
    assert first.created and first.changed
    again = actions.do_upsert_article(source=source, external_id="x1", fields=fields)
    assert not again.created and not again.changed
    assert Article.objects.count() == 1
    changed = actions.do_upsert_article(
        source=source, external_id="x1", fields={**fields, "headline": "Two"}
    )
    assert changed.changed and Article.objects.get().headline == "Two"


def test_the_demo_goes_through_the_write_path(calls, world):
    from newsdesk.ingest import demo as ingest_demo
    from newsdesk.ingest.processor import process_items
    from newsdesk.news import demo

    demo_set = demo.DEMO_SETS[0]
    records = demo.collapse_duplicates(
        demo.read_jsonl(demo.DEMO_DIR / demo_set.filename)
    )
    items = [ingest_demo.item_from_record(r) for r in records[:2]]
    sections = demo.ensure_sections()
    target = Target(
        source=demo.ensure_source(demo_set),
        category=sections[demo.FALLBACK_SECTION],
        rules=ingest_demo.demo_rules(),
        publish=True,
        noindex=False,
        near_duplicates=False,
    )
    counts = process_items(target, items)
    assert counts.created == 2 and calls["upserts"] == 2


def test_sources_are_made_in_one_place(db):
    a = actions.get_or_create_source("x" * 300, url="https://a.example/")
    b = actions.get_or_create_source("x" * 300)
    assert a.pk == b.pk and len(a.name) == 200 and b.url == "https://a.example/"


def test_the_admin_saves_through_the_same_core(calls, world, admin_client, monkeypatch):
    """An editor's save (the admin) stores through the core the upserts use:
    one store, one sanitizer pass, one announcement."""
    from tests.news.test_admin_images import form

    stores = []
    store = actions._store

    def counting_store(article, **kwargs):
        stores.append(article.headline)
        return store(article, **kwargs)

    monkeypatch.setattr(actions, "_store", counting_store)
    data = form(world, headline="Harbour strike", body=BODY, lead_image="")
    for key in [k for k in data if k.startswith("lead_image")]:
        data.pop(key)
    response = admin_client.post("/admin/news/article/add/", data)
    assert response.status_code == 302, response.content[:2000]
    assert stores == ["Harbour strike"]
    # The body field cleaned it on the form (django-prose-editor's sanitize
    # hook holds its own reference to clean_html); saving did not clean again.
    assert calls["cleans"] == 0 and calls["upserts"] == 0
    article = Article.objects.get(headline="Harbour strike")
    assert "script" not in article.body and MARK in article.body

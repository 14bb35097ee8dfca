"""Feeds served on 127.0.0.1 through fetch, parse, sanitize, dedupe and upsert."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsdesk.ingest import actions, runs, tasks
from newsdesk.ingest.models import Feed, IngestError, Tombstone
from newsdesk.news.models import Article, Source

from .conftest import TESTDATA, make_rss

pytestmark = pytest.mark.django_db


def add_feed(url, *, category="world", publish=True, rules="", name=""):
    return actions.check_add_feed(
        url, category=category, publish=publish, rules=rules, name=name
    )


def run(feed):
    feed.refresh_from_db()
    return runs.do_run_feed(feed)


def test_latin1_feed_lands_and_rerun_changes_nothing(
    feed_server, ingest_settings, sections
):
    url = feed_server.serve_file("/fr.xml", "rss_latin1.xml")
    feed = add_feed(url, rules="category: Politique => politics")
    first = run(feed)
    assert first.status == "ok"
    assert first.counts.created == 2
    articles = {a.external_id: a for a in Article.objects.filter(source=feed.source)}
    vote = articles["journal-4411"]
    assert vote.headline == "Élection à Besançon : la région vote"
    assert vote.category.path == "politics"
    assert articles["journal-4412"].category.path == "world"
    assert vote.status == Article.Status.PUBLISHED
    assert vote.noindex is True  # wire copy is noindex unless the feed says otherwise
    assert [t.name for t in vote.tags.all()] == ["Politique"]
    # Second poll: the server answers 304 to the stored ETag.
    second = run(feed)
    assert second.status == "not-modified"
    assert feed_server.requests[-1]["If-None-Match"]
    # A forced full fetch changes nothing either.
    Feed.objects.filter(pk=feed.pk).update(etag="")
    third = run(feed)
    assert (third.counts.created, third.counts.updated) == (0, 0)
    assert third.counts.unchanged == 2
    assert Article.objects.filter(source=feed.source).count() == 2


def test_fetch_is_polite_and_compressed(feed_server, ingest_settings, world):
    url = feed_server.serve_file("/fr.xml", "rss_latin1.xml")
    run(add_feed(url))
    request = feed_server.requests[0]
    assert request["User-Agent"].startswith("newsdesk-ingest/")
    assert "gzip" in request["Accept-Encoding"]


def test_missing_dates_and_bad_items_are_recorded(feed_server, ingest_settings, world):
    url = feed_server.serve_file("/gazette.xml", "rss_missing_dates.xml")
    feed = add_feed(url)
    result = run(feed)
    assert (result.counts.created, result.counts.failed) == (2, 2)
    for article in Article.objects.filter(source=feed.source):
        assert article.published_at is not None  # fetch time stands in
        assert article.original_published_at is None
    errors = sorted(
        IngestError.objects.filter(feed=feed).values_list("external_id", "message")
    )
    assert errors == [
        ("", "item has no guid and no link"),
        ("gazette-empty", "item has no title"),
    ]
    feed.refresh_from_db()
    assert (feed.items_created, feed.items_failed, feed.last_error) == (2, 2, "")


def test_relative_links_become_absolute(feed_server, ingest_settings, sections):
    url = feed_server.serve_file("/science.atom", "atom_relative.xml")
    feed = add_feed(url, rules="keyword: comet => science/space", publish=False)
    run(feed)
    article = Article.objects.get(source=feed.source)
    assert article.status == Article.Status.DRAFT  # held for review
    assert article.published_at is None
    assert article.category.path == "science/space"
    assert 'href="https://science.example/images/comet.jpg"' in article.body
    assert 'src="https://science.example/news/img/comet-small.jpg"' in article.body
    assert 'rel="noopener noreferrer nofollow"' in article.body
    assert 'loading="lazy"' in article.body
    assert article.standfirst == "A faint comet was seen beyond Neptune."
    assert article.byline == "Ada Reporter"


def test_html_in_titles(feed_server, ingest_settings, world):
    url = feed_server.serve_file("/markets.xml", "rss_html_titles.xml")
    feed = add_feed(url)
    run(feed)
    assert sorted(Article.objects.values_list("headline", flat=True)) == [
        "Profits double at the mill",
        "Shares rally as rates hold & bonds slip",
    ]


def test_injection_never_reaches_the_body(feed_server, ingest_settings, world):
    url = feed_server.serve_file("/hostile.xml", "rss_injection.xml")
    run(add_feed(url))
    article = Article.objects.get()
    assert article.headline == "Hello alert(1)world"
    body = article.body.lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe",
                "<style", "<svg", "<form", "<input", "document.cookie"):  # fmt: skip
        assert bad not in body, bad
    assert (
        '<a href="https://ok.example/" rel="noopener noreferrer nofollow">ok</a>'
        in (article.body)
    )


def test_truncated_feed_is_refused_whole_then_recovers(
    feed_server, ingest_settings, world
):
    url = feed_server.serve_file("/broken.xml", "rss_truncated.xml")
    feed = add_feed(url)
    result = run(feed)
    assert result.status == "error"
    assert Article.objects.count() == 0
    error = IngestError.objects.get(feed=feed)
    assert (error.stage, error.message) == (
        "parse",
        "truncated document: the root element is never closed",
    )
    feed.refresh_from_db()
    assert feed.last_error.startswith("truncated")
    assert feed.etag == ""  # the next poll fetches in full
    # The publisher fixes the feed: both items arrive, nothing was lost.
    fixed = (feed_server.routes["/broken.xml"].body + b"dle.</description></item>"
             b"</channel></rss>")  # fmt: skip
    feed_server.serve("/broken.xml", fixed)
    assert run(feed).counts.created == 2
    feed.refresh_from_db()
    assert feed.last_error == ""


def test_ninjs_update_then_kill(feed_server, ingest_settings, world):
    url = feed_server.serve_file(
        "/wire.json", "ninjs_story.json", content_type="application/json"
    )
    feed = add_feed(url, name="Wire")
    run(feed)
    article = Article.objects.get(source=feed.source)
    assert (article.dateline, article.byline) == ("ROTTERDAM", "Jane Wire")
    # Version 2 keeps the GUID: the same article is updated, not duplicated.
    feed_server.serve_file(
        "/wire.json", "ninjs_story_v2.json", content_type="application/json"
    )
    assert run(feed).counts.updated == 1
    article.refresh_from_db()
    assert article.headline == "Port strike halts container traffic for a second day"
    assert article.status == Article.Status.PUBLISHED
    # The kill notice withdraws it and tombstones the GUID.
    feed_server.serve_file(
        "/wire.json", "ninjs_kill.json", content_type="application/json"
    )
    assert run(feed).counts.withdrawn == 1
    article.refresh_from_db()
    assert article.status == Article.Status.WITHDRAWN
    # A stale copy of version 2 served again never brings it back.
    feed_server.serve_file(
        "/wire.json", "ninjs_story_v2.json", content_type="application/json"
    )
    assert run(feed).counts.skipped == 1
    article.refresh_from_db()
    assert article.status == Article.Status.WITHDRAWN
    assert Article.objects.count() == 1


def test_deleted_articles_stay_deleted(feed_server, ingest_settings, world):
    url = feed_server.serve_file("/markets.xml", "rss_html_titles.xml")
    feed = add_feed(url)
    run(feed)
    Article.objects.get(external_id="markets-mill").delete()
    assert Tombstone.objects.filter(external_id="markets-mill").exists()
    Feed.objects.filter(pk=feed.pk).update(etag="")
    result = run(feed)
    assert (result.counts.skipped, result.counts.unchanged) == (1, 1)
    assert not Article.objects.filter(external_id="markets-mill").exists()


def test_same_url_from_another_source_is_a_duplicate(
    feed_server, ingest_settings, world
):
    run(add_feed(feed_server.serve_file("/a.xml", "rss_html_titles.xml"), name="A"))
    again = run(
        add_feed(feed_server.serve_file("/b.xml", "rss_html_titles.xml"), name="B")
    )
    assert (again.counts.created, again.counts.skipped) == (0, 2)


def test_near_duplicates_are_skipped_when_discovery_offers_them(
    feed_server, ingest_settings, world
):
    pytest.importorskip("newsdesk.discovery.engines.duplicates")
    original = make_rss(3, words=80)
    copy = original.replace(b"volume.example", b"copy.example").replace(
        b"<guid>volume-", b"<guid>copy-"
    )
    run(add_feed(feed_server.serve("/orig.xml", original), name="Original"))
    result = run(add_feed(feed_server.serve("/copy.xml", copy), name="Copy"))
    assert (result.counts.created, result.counts.skipped) == (0, 3)
    ingest_settings.NEWSDESK_INGEST_DUPLICATES = "none"
    # A near copy (one word changed), not an exact one: exact copies are
    # skipped whatever the near-duplicate setting.
    third = copy.replace(b"copy", b"third").replace(b"council", b"parish")
    assert (
        run(add_feed(feed_server.serve("/3.xml", third), name="Third")).counts.created
        == 3
    )


def test_json_feed_over_http(feed_server, ingest_settings, world):
    url = feed_server.serve_file(
        "/feed.json", "feed.json", content_type="application/feed+json"
    )
    feed = add_feed(url)
    result = run(feed)
    assert (result.counts.created, result.counts.failed) == (2, 1)
    assert IngestError.objects.get(feed=feed).message == "item has no id"


def test_ten_thousand_items_once_each(feed_server, ingest_settings, world):
    ingest_settings.NEWSDESK_INGEST_DUPLICATES = "none"
    url = feed_server.serve("/volume.xml", make_rss(10_000, words=8))
    feed = add_feed(url)
    assert run(feed).counts.created == 10_000
    Feed.objects.filter(pk=feed.pk).update(etag="")
    again = run(feed)
    assert (again.counts.created, again.counts.unchanged) == (0, 10_000)
    assert Article.objects.filter(source=feed.source).count() == 10_000


def test_ssrf_guard_refuses_loopback_by_default(feed_server, settings, world):
    settings.NEWSDESK_INGEST_HOST_INTERVAL = 0
    settings.NEWSDESK_INGEST_ALLOW_PRIVATE = False
    feed = add_feed(feed_server.serve_file("/fr.xml", "rss_latin1.xml"))
    result = run(feed)
    assert result.status == "error"
    assert "private or loopback" in result.error
    assert feed_server.requests == []


def test_redirects_limits_and_size_caps(feed_server, ingest_settings, world):
    target = feed_server.serve_file("/fr.xml", "rss_latin1.xml")
    feed_server.serve("/moved", b"", status=301, headers={"Location": "/fr.xml"})
    assert run(add_feed(feed_server.url("/moved"), name="moved")).counts.created == 2
    for i in range(5):
        feed_server.serve(
            f"/loop{i}", b"", status=302, headers={"Location": f"/loop{i + 1}"}
        )
    looping = run(add_feed(feed_server.url("/loop0"), name="loop"))
    assert looping.error == "more than 3 redirects"
    ingest_settings.NEWSDESK_INGEST_MAX_BYTES = 1024
    feed_server.serve("/big.xml", make_rss(50))
    big = run(add_feed(feed_server.url("/big.xml"), name="big"))
    assert "limit" in big.error
    assert target


def test_http_errors_back_off(feed_server, ingest_settings, world):
    feed = add_feed(feed_server.url("/missing.xml"))
    result = run(feed)
    assert result.error == "HTTP 404 Not Found"
    feed.refresh_from_db()
    assert feed.consecutive_errors == 1
    assert (feed.next_fetch_at - feed.last_fetched_at).total_seconds() >= 2 * 15 * 60


def test_cli_add_run_and_import(feed_server, ingest_settings, world):
    url = feed_server.serve_file("/fr.xml", "rss_latin1.xml")
    out = io.StringIO()
    call_command(
        "ingest", "add", url, "--category", "world", "--name", "Journal", stdout=out
    )
    source_id = int(out.getvalue().strip())
    assert Source.objects.get(pk=source_id).name == "Journal"
    assert Feed.objects.get(source_id=source_id).publish is False
    out = io.StringIO()
    call_command("ingest", "run", "--source", str(source_id), stdout=out)
    line = json.loads(out.getvalue())
    assert (line["status"], line["created"]) == ("ok", 2)
    assert Article.objects.filter(status="draft").count() == 2

    out = io.StringIO()
    args = ["import", str(TESTDATA / "dump.jsonl"), "--category", "world", "--publish"]
    call_command("ingest", *args, stdout=out)
    counts = json.loads(out.getvalue())
    assert (counts["created"], counts["failed"]) == (3, 2)
    assert "<script" not in Article.objects.get(external_id="urn:dump:4").body
    out = io.StringIO()
    args = ["import", str(TESTDATA / "dump.jsonl"), "--category", "world", "--publish"]
    call_command("ingest", *args, stdout=out)
    assert json.loads(out.getvalue())["unchanged"] == 3


@pytest.mark.django_db(transaction=True)
def test_scheduled_task_runs_due_feeds_and_reschedules(
    feed_server, ingest_settings, world
):
    from django_tasks_db.models import DBTaskResult

    add_feed(feed_server.serve_file("/fr.xml", "rss_latin1.xml"))
    assert tasks.schedule() is True
    assert tasks.schedule() is False  # one chain, however often it is asked
    # The worker would wait for run_after; run the first poll now.
    DBTaskResult.objects.update(run_after=timezone.now())
    call_command(
        "db_worker", batch=True, startup_delay=False, reload=False, verbosity=0
    )
    done = DBTaskResult.objects.get(status="SUCCESSFUL")
    assert done.return_value == {"feeds": 1, "errors": 0, "created": 2}
    # It enqueued the next poll for when the feed is due again.
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.run_after > timezone.now()
    assert Article.objects.count() == 2


def test_admin_pages_and_fetch_action(
    admin_client, feed_server, ingest_settings, world
):
    feed = add_feed(feed_server.serve_file("/fr.xml", "rss_latin1.xml"))
    assert admin_client.get("/admin/ingest/feed/").status_code == 200
    assert admin_client.get(f"/admin/ingest/feed/{feed.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/ingest/feed/",
        {"action": "fetch_now", "_selected_action": [feed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Article.objects.filter(source=feed.source).count() == 2
    assert admin_client.get("/admin/ingest/ingesterror/").status_code == 200
    assert admin_client.get("/admin/ingest/tombstone/").status_code == 200
    # A bad mapping rule is refused with the line that is wrong.
    data = {
        "source": feed.source_id,
        "url": feed.url,
        "format": "auto",
        "enabled": "on",
        "category": world.pk,
        "mapping_rules": "sport -> sport",
        "indexing": "noindex",
        "poll_minutes": 15,
    }
    page = admin_client.post(f"/admin/ingest/feed/{feed.pk}/change/", data)
    assert "rule line 1" in page.content.decode()

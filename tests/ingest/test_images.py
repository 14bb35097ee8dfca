"""Feed items' lead images: fetched through the SSRF guard with byte, pixel, type
and time limits, stored once with renditions, credit and alt text kept; one
failing image never stops its item or its feed."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from newsdesk.ingest import actions, runs
from newsdesk.ingest.images import ImageRejected, check_image
from newsdesk.ingest.models import Feed, IngestError, RemoteImage
from newsdesk.news.images import Rendition
from newsdesk.news.models import Article

from .test_hardening import DripServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def picture(width=640, height=360, fmt="JPEG", colour="teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def bomb(side=20_000) -> bytes:
    """A PNG of side x side pixels in a few kilobytes (a decompression bomb)."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def rss(*items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Pics</title>'
        "<link>http://127.0.0.1/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    )


def item(n: int, media: str = "") -> str:
    return (
        f"<item><title>Story {n} about the harbour</title><guid>pic-{n}</guid>"
        f"<link>https://pics.example/{n}</link>"
        f"<description>Body of story {n}, long enough to read.</description>"
        f"{media}</item>"
    )


def media_content(url: str, *, credit="Jane Doe/AP", alt="Cranes at dusk") -> str:
    return (
        f'<media:content url="{url}" medium="image" width="640" height="360">'
        f'<media:credit role="photographer">{credit}</media:credit>'
        f"<media:description>{alt}</media:description>"
        '<media:license href="https://creativecommons.org/licenses/by/4.0/">'
        "CC BY 4.0</media:license></media:content>"
    )


def add_and_run(url: str):
    feed = actions.check_add_feed(url, category="world", publish=True)
    return feed, runs.do_run_feed(feed)


def article(n: int) -> Article:
    return Article.objects.get(external_id=f"pic-{n}")


def image_requests(server) -> list[str]:
    return [r["path"] for r in server.requests if r["path"].startswith("/img")]


def test_media_rss_image_is_stored_with_credit_alt_and_renditions(
    feed_server, ingest_settings, world, client
):
    url = feed_server.serve("/img/a.jpg", picture(), content_type="image/jpeg")
    feed_url = feed_server.serve("/pics.xml", rss(item(1, media_content(url))))
    feed, result = add_and_run(feed_url)
    assert result.status == "ok" and result.counts.images_stored == 1
    story = article(1)
    assert story.lead_image.name.startswith("lead/ingest/")
    assert (story.lead_image_width, story.lead_image_height) == (640, 360)
    assert story.lead_image_alt == "Cranes at dusk"
    assert story.lead_image_credit == "Jane Doe/AP"
    assert story.lead_image_licence == "CC BY 4.0"
    # feedparser filed media:description as the story's content: the body is
    # the item's own description, not the image's.
    assert "Body of story 1" in story.body and "Cranes" not in story.body
    assert Rendition.objects.filter(original=story.lead_image.name).exists()
    page = client.get(story.get_absolute_url()).content.decode()
    assert 'alt="Cranes at dusk"' in page and "Jane Doe/AP" in page
    assert Feed.objects.get(pk=feed.pk).images_stored == 1


def test_every_feed_format_brings_its_image(feed_server, ingest_settings, world):
    jpeg = feed_server.serve("/img/enc.jpg", picture(colour="red"))
    png = feed_server.serve("/img/j.png", picture(fmt="PNG", colour="blue"))
    webp = feed_server.serve("/img/n.webp", picture(fmt="WEBP", colour="green"))
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>A</title><id>urn:a</id><updated>2026-11-30T10:00:00Z</updated>"
        "<entry><title>Atom story about ports</title><id>urn:a:1</id>"
        "<updated>2026-11-30T10:00:00Z</updated><summary>Ports text.</summary>"
        f'<link rel="enclosure" type="image/jpeg" href="{jpeg}"/></entry></feed>'
    )
    jsonfeed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {
                "id": "j-1",
                "title": "JSON story about rail",
                "content_text": "Rail text.",
                "image": png,
            }
        ],
    }
    ninjs = {
        "uri": "urn:n:1",
        "type": "text",
        "headlines": [{"role": "main", "value": "Ninjs story about bridges"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "Text."}],
        "associations": [
            {
                "name": "featureimage",
                "type": "picture",
                "uri": "urn:n:pic",
                "by": "Karl Melander/TT",
                "usageTerms": "Editorial use only",
                "descriptions": [{"value": "A bridge in fog"}],
                "renditions": [
                    {"name": "hires", "href": "http://127.0.0.1:1/never.jpg",
                     "contentType": "image/jpeg", "width": 4724, "height": 3149},
                    {"name": "preview", "href": webp, "contentType": "image/webp",
                     "width": 640, "height": 360},
                ],
            }
        ],
    }  # fmt: skip
    urls = [
        feed_server.serve("/a.xml", atom, content_type="application/atom+xml"),
        feed_server.serve(
            "/j.json", json.dumps(jsonfeed), content_type="application/feed+json"
        ),
        feed_server.serve(
            "/n.json", json.dumps(ninjs), content_type="application/json"
        ),
    ]
    for url in urls:
        _, result = add_and_run(url)
        assert result.status == "ok", result.error
        assert result.counts.images_stored == 1, IngestError.objects.values("message")
    stored = {a.headline: a for a in Article.objects.all()}
    assert stored["Atom story about ports"].lead_image.name.endswith(".jpg")
    assert stored["JSON story about rail"].lead_image.name.endswith(".png")
    bridge = stored["Ninjs story about bridges"]
    assert bridge.lead_image.name.endswith(".webp")  # the widest within 2,560 px
    assert bridge.lead_image_credit == "Karl Melander/TT"
    assert bridge.lead_image_licence == "Editorial use only"
    assert bridge.lead_image_alt == "A bridge in fog"
    # No credit in a JSON Feed: the source's name stands in, alt falls back to
    # the headline (the database requires alt text with an image).
    rail = stored["JSON story about rail"]
    assert rail.lead_image_credit and rail.lead_image_licence
    assert rail.lead_image_alt == "JSON story about rail"


def test_one_image_is_fetched_and_rendered_once(feed_server, ingest_settings, world):
    url = feed_server.serve("/img/shared.jpg", picture())
    feed_url = feed_server.serve(
        "/pics.xml", rss(item(1, media_content(url)), item(2, media_content(url)))
    )
    feed, result = add_and_run(feed_url)
    assert result.counts.images_stored == 2
    assert article(1).lead_image.name == article(2).lead_image.name
    renditions = Rendition.objects.filter(original=article(1).lead_image.name)
    made = set(renditions.values_list("pk", flat=True))
    assert made
    # A new version of the feed: nothing is fetched or rendered again.
    feed_server.serve(
        "/pics.xml",
        rss(item(1, media_content(url)), item(2, media_content(url)), item(3)),
    )
    runs.do_run_feed(Feed.objects.get(pk=feed.pk))
    assert image_requests(feed_server) == ["/img/shared.jpg"]
    assert set(renditions.values_list("pk", flat=True)) == made


def test_an_editors_lead_image_is_never_replaced(feed_server, ingest_settings, world):
    url = feed_server.serve("/img/a.jpg", picture())
    feed_url = feed_server.serve("/pics.xml", rss(item(1)))
    feed, _ = add_and_run(feed_url)
    story = article(1)
    story.lead_image.save("mine.jpg", ContentFile(picture(colour="white")), save=False)
    story.lead_image_alt, story.lead_image_credit = "Mine", "Staff"
    story.lead_image_licence = "Staff photo"
    story.save()
    feed_server.serve("/pics.xml", rss(item(1, media_content(url))))
    runs.do_run_feed(Feed.objects.get(pk=feed.pk))
    story.refresh_from_db()
    assert (
        story.lead_image.name.startswith("lead/")
        and "ingest" not in story.lead_image.name
    )
    assert image_requests(feed_server) == []


def hostile_feed(feed_server, bad_url: str):
    good = feed_server.serve("/img/good.jpg", picture())
    return feed_server.serve(
        "/pics.xml",
        rss(item(1, media_content(bad_url)), item(2, media_content(good))),
    )


def assert_kept_without_image(feed, result, reason: str):
    assert result.status == "ok"
    assert result.counts.created == 2
    assert not article(1).lead_image
    assert article(2).lead_image
    error = IngestError.objects.get(feed=feed, stage="image")
    assert error.external_id == "pic-1"
    assert reason in error.message, error.message
    assert Feed.objects.get(pk=feed.pk).images_failed == 1
    # Visible in ingest health on the newsroom dashboard.
    from newsdesk.ingest.dashboard import feed_health

    (row,) = feed_health(None).rows
    assert row[-1].endswith(", 1 image failed"), row


def test_an_image_over_the_byte_limit(feed_server, ingest_settings, world):
    ingest_settings.NEWSDESK_INGEST_IMAGE_MAX_BYTES = 50_000
    noise = Image.effect_noise((800, 800), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 50_000
    bad = feed_server.serve("/img/huge.png", out.getvalue(), content_type="image/png")
    feed, result = add_and_run(hostile_feed(feed_server, bad))
    assert_kept_without_image(feed, result, "larger than the 50000-byte limit")


def test_a_decompression_bomb_is_refused_before_decoding(
    feed_server, ingest_settings, world
):
    data = bomb()
    assert len(data) < 200_000
    bad = feed_server.serve("/img/bomb.png", data, content_type="image/png")
    started = time.monotonic()
    feed, result = add_and_run(hostile_feed(feed_server, bad))
    assert time.monotonic() - started < 20
    assert_kept_without_image(feed, result, "-pixel limit")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Not found</body></html>", "image/jpeg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
         "image/svg+xml"),
        (picture(fmt="TIFF"), "image/jpeg"),  # an image, not an allowed type
        (picture()[:2000], "image/jpeg"),  # truncated
    ],
)  # fmt: skip
def test_the_type_is_sniffed_not_taken_from_the_header(
    feed_server, ingest_settings, world, body, content_type
):
    bad = feed_server.serve("/img/bad.jpg", body, content_type=content_type)
    feed, result = add_and_run(hostile_feed(feed_server, bad))
    reason = "unreadable image" if body.startswith(b"\xff\xd8") else "accepted type"
    assert_kept_without_image(feed, result, reason)


def test_a_real_image_under_a_wrong_content_type_is_taken(
    feed_server, ingest_settings, world
):
    url = feed_server.serve("/img/p", picture(fmt="PNG"), content_type="text/html")
    add_and_run(feed_server.serve("/pics.xml", rss(item(1, media_content(url)))))
    assert article(1).lead_image.name.endswith(".png")


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/img/good.jpg",
     "http://127.0.0.2:{port}/img/good.jpg", "http://10.0.0.1/x.jpg"],
)  # fmt: skip
def test_a_redirect_to_a_private_address_is_refused(
    feed_server, ingest_settings, world, target
):
    # Only the test server's own address is allowed; everything else private
    # stays refused, the hop after a redirect included.
    ingest_settings.NEWSDESK_INGEST_ALLOW_PRIVATE = False
    ingest_settings.NEWSDESK_INGEST_ALLOW_NETWORKS = ["127.0.0.1/32"]
    port = feed_server.httpd.server_port
    bad = feed_server.serve(
        "/img/moved.jpg", b"", status=302,
        headers={"Location": target.format(port=port)},
    )  # fmt: skip
    feed, result = add_and_run(hostile_feed(feed_server, bad))
    assert_kept_without_image(feed, result, "private or loopback")


def test_a_slow_image_server_is_cut_at_the_image_timeout(
    feed_server, ingest_settings, world
):
    ingest_settings.NEWSDESK_INGEST_IMAGE_TIMEOUT = 1.5
    slow = DripServer("body", interval=0.5)
    try:
        started = time.monotonic()
        feed, result = add_and_run(hostile_feed(feed_server, slow.url()))
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert elapsed < 6, elapsed
    assert_kept_without_image(feed, result, "took longer than 1.5 s")


def test_images_left_over_the_time_budget_come_with_the_next_run(
    feed_server, ingest_settings, world
):
    ingest_settings.NEWSDESK_INGEST_IMAGE_BUDGET = 0
    url = feed_server.serve("/img/a.jpg", picture())
    feed, result = add_and_run(
        feed_server.serve("/pics.xml", rss(item(1, media_content(url))))
    )
    assert (result.counts.images_deferred, result.counts.images_stored) == (1, 0)
    assert not article(1).lead_image
    # The feed's validators are dropped so the unchanged feed is read again.
    assert Feed.objects.get(pk=feed.pk).etag == ""
    ingest_settings.NEWSDESK_INGEST_IMAGE_BUDGET = 60
    result = runs.do_run_feed(Feed.objects.get(pk=feed.pk))
    assert result.status == "ok" and result.counts.images_stored == 1
    assert article(1).lead_image
    assert Feed.objects.get(pk=feed.pk).etag


def test_a_failed_url_is_not_fetched_again_at_every_poll(
    feed_server, ingest_settings, world
):
    bad = feed_server.serve("/img/bad.jpg", b"nope")
    feed_url = feed_server.serve("/pics.xml", rss(item(1, media_content(bad))))
    feed, _ = add_and_run(feed_url)
    feed_server.serve("/pics.xml", rss(item(1, media_content(bad)), item(2)))
    runs.do_run_feed(Feed.objects.get(pk=feed.pk))
    assert image_requests(feed_server) == ["/img/bad.jpg"]
    assert RemoteImage.objects.get().error
    assert IngestError.objects.filter(stage="image").count() == 1


def test_images_can_be_switched_off(feed_server, ingest_settings, world):
    ingest_settings.NEWSDESK_INGEST_IMAGES = False
    url = feed_server.serve("/img/a.jpg", picture())
    add_and_run(feed_server.serve("/pics.xml", rss(item(1, media_content(url)))))
    assert not article(1).lead_image and image_requests(feed_server) == []


def test_check_image_limits():
    assert check_image(picture(), max_pixels=10**6).format == "JPEG"
    with pytest.raises(ImageRejected, match="640x360 is more than the 1,000-pixel"):
        check_image(picture(), max_pixels=1000)
    with pytest.raises(ImageRejected, match="-pixel limit"):
        check_image(bomb(), max_pixels=10**9)  # Pillow's own bomb guard
    with pytest.raises(ImageRejected, match="accepted type"):
        check_image(b"%PDF-1.4", max_pixels=10**6)
    assert not default_storage.exists("lead/ingest")

"""Feed items' lead images: downloaded once, checked, stored, attached.

An item's image URL (Media RSS, an enclosure, JSON Feed `image`, a ninjs picture
association) is fetched through the same SSRF-guarded fetcher as feeds, with its
own limits: bytes (`NEWSDESK_INGEST_IMAGE_MAX_BYTES`, checked while reading),
seconds per image (`..._IMAGE_TIMEOUT`) and per feed run (`..._IMAGE_BUDGET`).
The type is what Pillow finds in the bytes, never the Content-Type; the pixel
count is read from the header and refused above `..._IMAGE_MAX_PIXELS` before
anything is decoded (decompression bombs). Stored under a hash of the bytes, so
one picture sent by several items or URLs is one file with one set of
renditions.

Nothing here raises into the feed run: a failing image leaves the item stored
without one, counted on the feed and recorded as an IngestError of stage
"image" (the dashboard's feed panel shows the count). An article whose lead
image an editor set is never touched.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import warnings
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from newsdesk.ingest.fetcher import FetchConfig, FetchError, fetch
from newsdesk.ingest.models import IngestError, RemoteImage
from newsdesk.ingest.parsers import Item
from newsdesk.news import actions
from newsdesk.news.models import Article, Source

log = logging.getLogger(__name__)

# What Pillow may open (its other plugins, e.g. PSD, TIFF or EPS, are not
# tried at all) and the file suffix each is stored with.
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
FOLDER = "lead/ingest"
RETRY_AFTER = timedelta(hours=24)
IMAGE_ACCEPT = "image/avif, image/webp, image/jpeg, image/png, image/gif;q=0.8"


class ImageRejected(ValueError):
    """The bytes are not an image this site takes; the message says why."""


@dataclass(frozen=True, slots=True)
class CheckedImage:
    format: str
    extension: str
    width: int
    height: int


def check_image(data: bytes, *, max_pixels: int) -> CheckedImage:
    """Sniff `data` with Pillow: an allowed format, at most `max_pixels`, and
    decodable to the end (a truncated or corrupt file is refused)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                width, height = probe.size
                if width * height > max_pixels:
                    raise ImageRejected(
                        f"{width}x{height} is more than the {max_pixels:,}-pixel limit"
                    )
                fmt = str(probe.format)
                probe.load()
    except UnidentifiedImageError:
        raise ImageRejected(
            "not an image of an accepted type (JPEG, PNG, GIF, WebP, AVIF)"
        ) from None
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise ImageRejected(
            f"more than the {max_pixels:,}-pixel limit ({exc})"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        if isinstance(exc, ImageRejected):
            raise
        raise ImageRejected(f"unreadable image: {exc}") from None
    return CheckedImage(fmt, FORMATS[fmt], width, height)


def image_config(base: FetchConfig) -> FetchConfig:
    """The feed fetch settings with the image limits (same SSRF guard)."""
    return replace(
        base,
        timeout=settings.NEWSDESK_INGEST_IMAGE_TIMEOUT,
        max_bytes=settings.NEWSDESK_INGEST_IMAGE_MAX_BYTES,
        # Images of one feed usually come from one CDN: the politeness wait
        # between feeds would make a feed of 30 pictures take a minute.
        host_interval=min(base.host_interval, 0.25),
        accept=IMAGE_ACCEPT,
    )


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def download(url: str, *, config: FetchConfig, max_pixels: int) -> RemoteImage:
    """Fetch, check and store `url`; the RemoteImage row says what came of it."""
    row = RemoteImage(
        url_hash=_url_hash(url), url=url[:1000], fetched_at=timezone.now()
    )
    try:
        result = fetch(url, config=config)
        checked = check_image(result.body, max_pixels=max_pixels)
    except (FetchError, ImageRejected) as exc:
        row.error = str(exc)[:2000]
    else:
        digest = hashlib.sha256(result.body).hexdigest()
        name = f"{FOLDER}/{digest[:2]}/{digest[:24]}.{checked.extension}"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(result.body))
        row.file, row.width, row.height = name, checked.width, checked.height
    RemoteImage.objects.update_or_create(
        url_hash=row.url_hash,
        defaults={
            "url": row.url,
            "file": row.file,
            "width": row.width,
            "height": row.height,
            "error": row.error,
            "fetched_at": row.fetched_at,
        },
    )
    return row


class LeadImages:
    """One feed run's image stage (see the module docstring)."""

    def __init__(self, *, config: FetchConfig, source: Source, feed=None) -> None:
        self.config = image_config(config)
        self.max_pixels = settings.NEWSDESK_INGEST_IMAGE_MAX_PIXELS
        self.source = source
        self.feed = feed
        self.deadline = time.monotonic() + settings.NEWSDESK_INGEST_IMAGE_BUDGET
        self.stored = 0
        self.failed = 0
        self.deferred = 0

    def attach(self, article: Article, item: Item, *, position: int) -> None:
        """Give `article` the item's lead image, if it has one and no editor's."""
        url = item.image_url
        if not url:
            return
        current = article.lead_image.name if article.lead_image else ""
        if current and not current.startswith(FOLDER + "/"):
            return  # an editor chose this one
        row = RemoteImage.objects.filter(url_hash=_url_hash(url)).first()
        if row is None or (row.error and row.fetched_at < timezone.now() - RETRY_AFTER):
            if time.monotonic() > self.deadline:
                self.deferred += 1
                return
            row = download(url, config=self.config, max_pixels=self.max_pixels)
            if row.error:
                self._failed(item, position, f"lead image {url}: {row.error}")
                return
        if row.error:
            return  # failed recently; recorded then, tried again later
        credit = item.image_credit or self.source.display_credit
        fields = {
            "name": row.file,
            "width": row.width,
            "height": row.height,
            "alt": item.image_alt or item.image_caption or article.headline[:300],
            "caption": item.image_caption,
            "credit": credit[:200],
            "licence": (
                item.image_licence
                or self.source.licence
                or f"Supplied by {self.source.name}"
            )[:200],
        }
        if current == row.file and (
            article.lead_image_alt,
            article.lead_image_caption,
            article.lead_image_credit,
            article.lead_image_licence,
        ) == (fields["alt"], fields["caption"], fields["credit"], fields["licence"]):
            return
        try:
            actions.do_set_lead_image(article, **fields)
        except Exception as exc:  # noqa: BLE001 (the item stays, without its image)
            log.warning("cannot attach %s to %s", url, article.pk, exc_info=True)
            self._failed(item, position, f"lead image {url}: {exc}")
            return
        self.stored += 1

    def _failed(self, item: Item, position: int, message: str) -> None:
        self.failed += 1
        log.info("%s: %s", item.guid, message)
        IngestError.objects.create(
            feed=self.feed,
            source=self.source,
            stage=IngestError.Stage.IMAGE,
            external_id=item.guid[:500],
            position=position,
            message=message[:5000],
        )

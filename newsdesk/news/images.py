"""Image renditions: every uploaded image resized once, served as a responsive set.

An original (any file in the default storage: a lead image, a feed's image) gets
renditions at a few widths in AVIF (when this Pillow can write it), WebP and
JPEG, plus 16:9 crops centred on the editor's focal point for cards and social
previews, and one 4:3 and one square JPEG crop for structured data. They are
made once, when the image is saved (`do_make_renditions`), named after a hash
of the original and the focal point (so they can be cached forever), stored
through Django's storage API (the media folder on one machine, any storage
backend otherwise) and listed in the Rendition table so a page finds them with
one indexed query. Pages never resize anything.

`picture()` turns the rows into what the `news/_image.html` include needs:
<source> sets per format, a JPEG fallback with srcset, width and height.

`lead_images()` gives syndication (feeds, JSON-LD, Open Graph, the ninjs API,
the image sitemap) one `LeadImage` per article: its files with absolute URLs,
sizes and types, the social crop first, with the alt text, credit and licence.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urljoin

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError, features

log = logging.getLogger(__name__)

WIDTHS = (480, 960, 1440, 1920)
CROP_WIDTHS = (640, 1280)
CROP_RATIO = 16 / 9
# Structured data only (Google asks for 16:9, 4:3 and 1:1 versions of an
# article's image, at least 50,000 pixels, ideally 1,200 px wide): one JPEG each.
STRUCTURED_CROPS = {"4x3": 4 / 3, "1x1": 1.0}
STRUCTURED_WIDTHS = (1200,)
QUALITY = {"avif": 55, "webp": 78, "jpeg": 82}
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
PIL_FORMAT = {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}
# Pillow refuses larger images (decompression bombs) before decoding them.
MAX_PIXELS = 60_000_000


def formats() -> tuple[str, ...]:
    """Formats written, best first; AVIF only when this Pillow has an encoder."""
    return (("avif",) if features.check("avif") else ()) + ("webp", "jpeg")


class Rendition(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", "Whole image"
        CROP_16X9 = "16x9", "16:9 crop around the focal point"
        CROP_4X3 = "4x3", "4:3 crop around the focal point"
        CROP_1X1 = "1x1", "Square crop around the focal point"

    original = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file = models.CharField(max_length=255)
    focal_x = models.PositiveSmallIntegerField(default=50)
    focal_y = models.PositiveSmallIntegerField(default=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "news"
        ordering = ["original", "kind", "format", "width"]
        constraints = [
            models.UniqueConstraint(
                fields=["original", "kind", "format", "width"],
                name="rendition_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original} {self.kind} {self.width}w {self.format}"

    @property
    def url(self) -> str:
        return default_storage.url(self.file)


def crop_box(
    width: int, height: int, *, ratio: float, focal_x: float, focal_y: float
) -> tuple[int, int, int, int]:
    """The largest box of `ratio` (w/h) inside the image, as centred on the focal
    point (percentages from the left and top) as the edges allow."""
    if width / height > ratio:
        crop_w, crop_h = round(height * ratio), height
    else:
        crop_w, crop_h = width, round(width / ratio)
    cx, cy = width * focal_x / 100, height * focal_y / 100
    left = min(max(0, round(cx - crop_w / 2)), width - crop_w)
    top = min(max(0, round(cy - crop_h / 2)), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def _encode(image: PILImage.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg" and image.mode != "RGB":
        background = PILImage.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    options: dict = {"quality": QUALITY[fmt]}
    if fmt == "jpeg":
        options |= {"optimize": True, "progressive": True}
    elif fmt == "avif":
        # Encoding happens while the editor waits for the save: speed 10 is
        # about 6x faster than 8 for files about 4% larger (measured).
        options |= {"speed": 10}
    elif fmt == "webp":
        options |= {"method": 2}  # 2.5x faster than 4, about 5% larger
    image.save(out, PIL_FORMAT[fmt], **options)
    return out.getvalue()


def _targets(size: int, widths: tuple[int, ...]) -> list[int]:
    """The widths not larger than the source, and the source's own if smaller."""
    chosen = [w for w in widths if w < size]
    if size <= widths[-1]:
        chosen.append(size)
    return chosen or [widths[-1]]


def _resized(image: PILImage.Image, width: int) -> PILImage.Image:
    if width == image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), PILImage.Resampling.LANCZOS)


@transaction.atomic
def do_make_renditions(
    original: str, *, focal_x: int = 50, focal_y: int = 50
) -> list[Rendition]:
    """(Re)make the renditions of the stored file `original`.

    Returns them, or [] when the file cannot be read as an image (the page then
    shows the original). Old renditions of `original` are replaced.
    """
    focal_x, focal_y = min(max(focal_x, 0), 100), min(max(focal_y, 0), 100)
    try:
        with default_storage.open(original, "rb") as handle:
            data = handle.read()
        with PILImage.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValueError(f"{probe.width}x{probe.height} is too many pixels")
            source = ImageOps.exif_transpose(probe)
            source.load()
    except (
        OSError,
        ValueError,
        UnidentifiedImageError,
        PILImage.DecompressionBombError,
    ):
        log.warning("cannot make renditions of %s", original, exc_info=True)
        return []
    if source.mode not in {"RGB", "RGBA"}:
        source = source.convert("RGBA" if "A" in source.getbands() else "RGB")
    digest = hashlib.sha256(data + f"{focal_x},{focal_y}".encode()).hexdigest()[:16]
    stem = PurePosixPath(original).stem[:40] or "image"
    folder = f"renditions/{digest[:2]}"
    _delete_renditions(original)
    crop = source.crop(
        crop_box(
            source.width, source.height, ratio=CROP_RATIO,
            focal_x=focal_x, focal_y=focal_y,
        )
    )  # fmt: skip
    every = formats()
    # (kind, image, width, formats); mypy reads a TextChoices member as a tuple
    plan: list[tuple[Any, PILImage.Image, int, tuple[str, ...]]] = [
        (Rendition.Kind.FULL, source, w, every) for w in _targets(source.width, WIDTHS)
    ]
    plan += [
        (Rendition.Kind.CROP_16X9, crop, w, every)
        for w in _targets(crop.width, CROP_WIDTHS)
    ]
    for kind, ratio in STRUCTURED_CROPS.items():
        box = crop_box(
            source.width, source.height, ratio=ratio, focal_x=focal_x, focal_y=focal_y
        )
        cropped = source.crop(box)
        plan += [
            (kind, cropped, w, ("jpeg",))
            for w in _targets(cropped.width, STRUCTURED_WIDTHS)
        ]
    made = []
    for kind, image, width, kind_formats in plan:
        resized = _resized(image, width)
        for fmt in kind_formats:
            ext = "jpg" if fmt == "jpeg" else fmt
            name = f"{folder}/{stem}-{digest}-{kind}-{width}.{ext}"
            if default_storage.exists(name):
                default_storage.delete(name)
            stored = default_storage.save(name, ContentFile(_encode(resized, fmt)))
            made.append(
                Rendition(
                    original=original, kind=kind, format=fmt, width=resized.width,
                    height=resized.height, file=stored, focal_x=focal_x,
                    focal_y=focal_y,
                )
            )  # fmt: skip
    Rendition.objects.bulk_create(made)
    return made


def _delete_renditions(original: str) -> None:
    old = list(Rendition.objects.filter(original=original))
    for rendition in old:
        try:
            default_storage.delete(rendition.file)
        except OSError:
            log.warning("cannot delete %s", rendition.file, exc_info=True)
    Rendition.objects.filter(pk__in=[r.pk for r in old]).delete()


def ensure_renditions(original: str, *, focal_x: int = 50, focal_y: int = 50) -> None:
    """Make renditions unless those of this focal point exist (one query)."""
    current = (
        Rendition.objects.filter(original=original)
        .values_list("focal_x", "focal_y")
        .first()
    )
    if current != (focal_x, focal_y):
        do_make_renditions(original, focal_x=focal_x, focal_y=focal_y)


@dataclass
class Source:
    mime: str
    srcset: str


@dataclass
class Picture:
    """What news/_image.html renders: <picture> with one <source> per format."""

    src: str
    width: int | None
    height: int | None
    alt: str
    srcset: str = ""
    sources: list[Source] = field(default_factory=list)
    caption: str = ""
    credit: str = ""
    licence: str = ""

    @property
    def candidates(self) -> list[str]:
        """Every URL a browser may load (tests fetch them all)."""
        urls = [self.src]
        for text in [self.srcset, *(s.srcset for s in self.sources)]:
            urls += [part.strip().split(" ")[0] for part in text.split(",") if part]
        return list(dict.fromkeys(urls))


def _srcset(rows: list[Rendition]) -> str:
    return ", ".join(f"{r.url} {r.width}w" for r in sorted(rows, key=lambda r: r.width))


def picture(
    original: str,
    *,
    width: int | None,
    height: int | None,
    alt: str,
    caption: str = "",
    credit: str = "",
    licence: str = "",
    kind: str = str(Rendition.Kind.FULL),
) -> Picture:
    rows = [r for r in Rendition.objects.filter(original=original, kind=kind)]
    by_format: dict[str, list[Rendition]] = {}
    for row in rows:
        by_format.setdefault(row.format, []).append(row)
    fallback = by_format.get("jpeg", [])
    if not fallback:  # renditions not made (yet): the original, as uploaded
        return Picture(
            src=default_storage.url(original), width=width, height=height, alt=alt,
            caption=caption, credit=credit, licence=licence,
        )  # fmt: skip
    largest = max(fallback, key=lambda r: r.width)
    return Picture(
        src=largest.url,
        width=largest.width,
        height=largest.height,
        alt=alt,
        srcset=_srcset(fallback),
        sources=[
            Source(MIME[fmt], _srcset(by_format[fmt]))
            for fmt in formats()
            if fmt != "jpeg" and fmt in by_format
        ],
        caption=caption,
        credit=credit,
        licence=licence,
    )


def social_image(original: str) -> Rendition | None:
    """The 16:9 JPEG crop for feeds and link previews (1280 px when available)."""
    return (
        Rendition.objects.filter(
            original=original, kind=Rendition.Kind.CROP_16X9, format="jpeg"
        )
        .order_by("-width")
        .first()
    )


@dataclass(frozen=True)
class ImageFile:
    """One file of a lead image as syndication describes it (absolute URL)."""

    url: str
    width: int | None
    height: int | None
    mime: str
    kind: str  # "original", or a Rendition.Kind
    file: str = ""  # the storage name, for its size

    @property
    def size(self) -> int:
        """Bytes on storage, or 0 when the storage cannot say."""
        if not self.file:
            return 0
        try:
            return default_storage.size(self.file)
        except (OSError, NotImplementedError):
            return 0


@dataclass(frozen=True)
class LeadImage:
    """An article's lead image for feeds, structured data and the API."""

    alt: str
    caption: str
    credit: str
    licence: str
    original: ImageFile
    crops: tuple[ImageFile, ...] = ()  # the largest JPEG of each crop kind
    renditions: tuple[ImageFile, ...] = ()  # every whole-image rendition

    @property
    def social(self) -> ImageFile:
        """What a link preview or a feed enclosure shows: the 16:9 crop around
        the focal point when made, else the largest JPEG, else the original."""
        for crop in self.crops:
            if crop.kind == Rendition.Kind.CROP_16X9:
                return crop
        jpegs = [r for r in self.renditions if r.mime == "image/jpeg"]
        return max(jpegs, key=lambda r: r.width or 0) if jpegs else self.original

    @property
    def largest(self) -> ImageFile:
        jpegs = [r for r in self.renditions if r.mime == "image/jpeg"]
        return max(jpegs, key=lambda r: r.width or 0) if jpegs else self.original

    @property
    def licence_url(self) -> str:
        return licence_url(self.licence)


_CC = re.compile(r"\bCC[ -]?(BY(?:[ -](?:NC|SA|ND))*)[ -]?v?(\d\.\d)\b", re.IGNORECASE)


def licence_url(licence: str) -> str:
    """The URL of a licence named in free text: itself when it is one, the
    Creative Commons deed for "CC BY-SA 4.0" and the like, else ""."""
    text = licence.strip()
    if re.match(r"https?://\S+$", text):
        return text
    if re.search(r"\bCC0\b", text, re.IGNORECASE):
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    match = _CC.search(text)
    if match:
        kind = re.sub(r"[ -]+", "-", match.group(1).lower())
        return f"https://creativecommons.org/licenses/{kind}/{match.group(2)}/"
    return ""


_MIME_OF_SUFFIX = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
}
CROP_ORDER = (
    str(Rendition.Kind.CROP_16X9),
    str(Rendition.Kind.CROP_4X3),
    str(Rendition.Kind.CROP_1X1),
)


def lead_images(articles: Iterable, *, site: str) -> dict[int, LeadImage]:
    """{article pk: LeadImage} for the articles that have a lead image, with
    URLs made absolute against `site` ("https://host"); one query in all."""
    with_image = [a for a in articles if a.lead_image]
    if not with_image:
        return {}
    rows: dict[str, list[Rendition]] = {}
    for row in Rendition.objects.filter(
        original__in={a.lead_image.name for a in with_image}
    ):
        rows.setdefault(row.original, []).append(row)
    base = site.rstrip("/") + "/"

    def absolute(url: str) -> str:
        return urljoin(base, url)

    out = {}
    for article in with_image:
        name = article.lead_image.name
        mine = rows.get(name, [])
        crops = []
        for kind in CROP_ORDER:
            jpegs = [r for r in mine if r.kind == kind and r.format == "jpeg"]
            if jpegs:
                best = max(jpegs, key=lambda r: r.width)
                crops.append(_image_file(best, absolute))
        out[article.pk] = LeadImage(
            alt=article.lead_image_alt,
            caption=article.lead_image_caption,
            credit=article.lead_image_credit,
            licence=article.lead_image_licence,
            original=ImageFile(
                url=absolute(default_storage.url(name)),
                width=article.lead_image_width,
                height=article.lead_image_height,
                mime=_MIME_OF_SUFFIX.get(
                    PurePosixPath(name).suffix.lower(), "application/octet-stream"
                ),
                kind="original",
                file=name,
            ),
            crops=tuple(crops),
            renditions=tuple(
                _image_file(r, absolute)
                for r in sorted(mine, key=lambda r: (r.format, r.width))
                if r.kind == Rendition.Kind.FULL
            ),
        )
    return out


def image_objects(lead: LeadImage) -> list[dict]:
    """schema.org ImageObjects for a NewsArticle's `image`: the focal-point
    crops first (Google prefers 16:9, 4:3 and 1:1 versions), then the whole
    image, each with its size and the credit and licence Google's image
    licence metadata reads (license, creditText, copyrightNotice)."""
    files = [*lead.crops, lead.largest]
    rights: dict = {}
    if lead.credit:
        rights["creditText"] = lead.credit
        rights["copyrightNotice"] = (
            f"{lead.credit}, {lead.licence}" if lead.licence else lead.credit
        )
    if lead.licence_url:
        rights["license"] = lead.licence_url
    objects = []
    for version in dict.fromkeys(files):
        item: dict = {
            "@type": "ImageObject",
            "url": version.url,
            "contentUrl": version.url,
            "encodingFormat": version.mime,
        }
        if version.width and version.height:
            item |= {"width": version.width, "height": version.height}
        if lead.caption:
            item["caption"] = lead.caption
        if lead.alt:
            item["description"] = lead.alt
        objects.append(item | rights)
    return objects


def _image_file(row: Rendition, absolute) -> ImageFile:
    return ImageFile(
        url=absolute(row.url),
        width=row.width,
        height=row.height,
        mime=MIME.get(row.format, "application/octet-stream"),
        kind=row.kind,
        file=row.file,
    )


class Image(models.Model):
    """An image uploaded for article bodies, with what readers and the law need."""

    file = models.ImageField(
        upload_to="images/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    alt = models.CharField(
        "alt text",
        max_length=300,
        help_text="What the image shows, for readers who cannot see it.",
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(
        max_length=200, help_text="Photographer or agency, e.g. Jane Doe/AP."
    )
    licence = models.CharField(
        max_length=200, help_text="e.g. “Staff photo”, “CC BY-SA 4.0”, “AP licence”."
    )
    focal_x = models.PositiveSmallIntegerField(default=50)
    focal_y = models.PositiveSmallIntegerField(default=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "news"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.alt

    def body_url(self, *, max_width: int = 1440) -> str:
        """The URL put in an article body: the widest JPEG rendition up to
        `max_width` (every browser shows JPEG), else the original."""
        rendition = (
            Rendition.objects.filter(
                original=self.file.name,
                kind=Rendition.Kind.FULL,
                format="jpeg",
                width__lte=max_width,
            )
            .order_by("-width")
            .first()
        )
        return rendition.url if rendition else self.file.url


def do_save_image(image: Image) -> Image:
    """Save an uploaded body image and make its renditions once."""
    image.save()
    ensure_renditions(image.file.name, focal_x=image.focal_x, focal_y=image.focal_y)
    return image

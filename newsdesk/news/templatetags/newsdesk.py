from __future__ import annotations

import functools
import json
import time
from datetime import UTC

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timezone import template_localtime
from django.utils.translation import get_language

from newsdesk.news.models import fast_reverse

register = template.Library()

_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@register.filter
def jsonld(data) -> str:
    """JSON for a <script type="application/ld+json"> body, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.translate(_JSON_ESCAPES))  # noqa: S308


@register.simple_tag(takes_context=True)
def breadcrumb_jsonld(context, crumbs, last=None):
    request = context["request"]
    items = [{"name": "Home", "url": request.build_absolute_uri("/")}]
    items += [
        {"name": c.name, "url": request.build_absolute_uri(c.get_absolute_url())}
        for c in crumbs
    ]
    if last is not None:
        items.append(
            {
                "name": last.headline,
                "url": request.build_absolute_uri(last.get_absolute_url()),
            }
        )
    return jsonld(
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {
                    "@type": "ListItem",
                    "position": i,
                    "name": it["name"],
                    "item": it["url"],
                }
                for i, it in enumerate(items, start=1)
            ],
        }
    )


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL with ?page=number (other query parameters kept)."""
    query = context["request"].GET.copy()
    if number == 1:
        query.pop("page", None)
    else:
        query["page"] = number
    encoded = query.urlencode()
    return "?" + encoded if encoded else context["request"].path


@register.filter
def iso(value) -> str:
    """UTC timestamp for <time datetime>, whole seconds (what HTML's syntax allows)."""
    if not value:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@register.filter
def machine_time(value, date_only=False) -> str:
    """ISO 8601 for metadata: the date alone when only the day is known
    (schema.org and Open Graph take both), else the full timestamp."""
    if not value:
        return ""
    value = timezone.localtime(value)  # what the `date` filter shows
    return value.date().isoformat() if date_only else value.isoformat()


@register.filter
def with_dateline(body: str, article) -> str:
    """Sanitized body HTML with "BEIJING (AP) — " leading its first paragraph."""
    if not article.dateline:
        return mark_safe(body)  # noqa: S308 - body was sanitized on save
    credit = f" ({escape(article.display_credit)})" if article.display_credit else ""
    lead = f'<span class="dateline">{escape(article.dateline)}{credit} —</span> '
    if body.startswith("<p>"):
        return mark_safe(f"<p>{lead}{body[3:]}")  # noqa: S308
    return mark_safe(f"<p>{lead}</p>{body}")  # noqa: S308


def day_and_time(value) -> str:
    """`value|date:"j M Y, H:i"` ("3 Mar 2026, 09:05") without the date
    filter's general format parser (~30 µs a call, per list item)."""
    local = template_localtime(value)
    month = MONTHS_3[local.month].title()  # what the format's "M" shows
    return f"{local.day} {month} {local.year:04d}, {local.hour:02d}:{local.minute:02d}"


@functools.lru_cache(maxsize=8192)
def _time_element(value, second: int, language: str) -> str:
    # `second` keys the memo to the current second: naturaltime's "3 minutes
    # ago" is then computed once per item per second, not once per page.
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        iso(value),
        day_and_time(value),
        naturaltime(value),
    )


@register.filter
def time_element(value) -> str:
    """<time> with machine-readable UTC, the full date as title and "2 hours
    ago": what news/_time.html draws for every list item, memoised (Django's
    date and naturaltime filters cost ~0.1 ms each through translations)."""
    if not value:
        return ""
    return _time_element(value, int(time.time()), get_language() or "")


def _published(a) -> str:
    if a.date_only:
        day = template_localtime(a.published_at)
        return format_html(
            '<time datetime="{}">{}</time>',
            date_filter(day, "Y-m-d"),
            date_filter(day, "j M Y"),
        )
    return time_element(a.published_at)


@register.simple_tag
def published(article) -> str:
    """When `article` was published, as a <time>: the day alone when only the
    day is known, else time_element (what news/_time.html draws, without an
    {% include %} per list item)."""
    return _published(article)


def _list_item(a) -> str:
    when = _published(a)
    category = a.category
    note = getattr(a, "block_note", None)
    return format_html(
        '<li><a href="{}">{}</a> <span class="meta">{} · {}</span>{}</li>\n',
        a.get_absolute_url(),
        a.headline,
        category.name if category is not None else "",
        when,
        format_html(' <span class="why">{}</span>', note) if note else "",
    )


@register.simple_tag
def card(a, *, big=False, kicker=False, summary=False, level=3, lazy=False) -> str:
    """One story on a front (home, section pages): kicker, headline, optional
    summary and image, date. Python rather than an {% include %} per story
    (a home page draws ~20)."""
    image = ""
    if big and a.lead_image:
        image = format_html(
            '<img class="card-image" src="{}" alt="{}" width="{}" height="{}"{}>',
            a.lead_image.url,
            a.lead_image_alt,
            a.lead_image_width,
            a.lead_image_height,
            mark_safe(' loading="lazy"') if lazy else "",  # noqa: S308
        )
    text = a.summary if summary else ""
    return format_html(
        '<article class="card{}">\n  {}\n  {}\n'
        '  <h{} class="card-title"><a href="{}">{}</a></h{}>\n  {}\n'
        '  <p class="meta">{}</p>\n</article>\n',
        " card-big" if big else "",
        image,
        format_html('<p class="kicker">{}</p>', a.category.name) if kicker else "",
        level or 3,
        a.get_absolute_url(),
        a.headline,
        level or 3,
        format_html('<p class="card-summary">{}</p>', Truncator(text).chars(260))
        if text
        else "",
        _published(a),
    )


@register.simple_tag
def article_item(article) -> str:
    """One article's list item (article_items)."""
    return mark_safe(_list_item(article))  # noqa: S308 - format_html escaped it


@register.simple_tag
def article_items(articles) -> str:
    """The `<li>` of each article in a list (blocks, section, topic and search
    pages): link, section, date and the provider's note ("Because you read
    ..."). Python rather than an {% include %} per item: a list item is drawn
    ~15 times on every article page."""
    return mark_safe("".join(_list_item(a) for a in articles))  # noqa: S308


@register.simple_tag
def fast_url(name: str, **kwargs) -> str:
    """{% url name key=value %} at the cost of a string format (fast_reverse):
    for the URLs every page repeats. Keyword arguments only."""
    return fast_reverse(name, **kwargs)


def _current_sections(context) -> set:
    """What base.html's menu marks aria-current: the page's section and its
    root, or the article's section and its root."""
    ids = set()
    category = context.get("category")
    if category is not None and not isinstance(category, str):
        ids.update((getattr(category, "pk", None), getattr(category, "root_id", None)))
    article_category = getattr(context.get("article"), "category", None)
    if article_category is not None:
        ids.update((article_category.root_id, article_category.pk))
    ids.discard(None)
    return ids


@register.simple_tag(takes_context=True)
def section_menu(context, *, mark_current: bool = True) -> str:
    """The `<li>` of each top-level section (the masthead and the footer):
    Python rather than a template loop, as every page draws it twice."""
    sections = context.get("sections")
    if callable(sections):
        sections = sections()
    current = _current_sections(context) if mark_current else set()
    return format_html_join(
        "",
        '<li><a href="{}"{}>{}</a></li>',
        (
            (
                s.get_absolute_url(),
                mark_safe(' aria-current="true"') if s.pk in current else "",  # noqa: S308
                s.name,
            )
            for s in sections or ()
        ),
    )


LEAD_IMAGE_SIZES = "(min-width: 64rem) 42rem, 100vw"


@register.simple_tag(takes_context=True)
def social_image(context, article):
    """The article's LeadImage with absolute URLs (for Open Graph, Twitter cards
    and JSON-LD), or None when it has no lead image."""
    from newsdesk.news.images import lead_images

    if not article.lead_image:
        return None
    request = context["request"]
    site = f"{request.scheme}://{request.get_host()}"
    return lead_images([article], site=site).get(article.pk)


@register.filter
def image_jsonld(lead) -> str:
    """A LeadImage as the JSON of NewsArticle.image (a list of ImageObjects)."""
    from newsdesk.news.images import image_objects

    return jsonld(image_objects(lead))


@register.inclusion_tag("news/_image.html")
def lead_image(article, sizes: str = LEAD_IMAGE_SIZES, css_class: str = "lead-image"):
    """An article's lead image as a responsive <picture> (renditions made on save)."""
    from newsdesk.news.images import picture

    if not article.lead_image:
        return {"picture": None}
    return {
        "picture": picture(
            article.lead_image.name,
            width=article.lead_image_width,
            height=article.lead_image_height,
            alt=article.lead_image_alt,
            caption=article.lead_image_caption,
            credit=article.lead_image_credit,
            licence=article.lead_image_licence,
        ),
        "sizes": sizes,
        "css_class": css_class,
    }


@register.simple_tag(takes_context=True)
def slot(context, name: str) -> str:
    """The parts of slot `name` (news.extensions.page_parts): each extension's
    template rendered with the page's context plus its own."""
    parts = context.get("parts")
    if parts is None:
        return ""
    engine = context.template.engine
    out = []
    for part in parts.slots.get(name, ()):
        template = engine.get_template(part.template)
        with context.push(part.context):
            out.append(template.render(context))
    return mark_safe("".join(out))  # noqa: S308 - rendered by autoescaping templates


@register.simple_tag(takes_context=True)
def slot_scripts(context) -> str:
    """<script defer> for each static script the page's extensions load."""
    parts = context.get("parts")
    if parts is None:
        return ""
    return format_html_join(
        "", '<script src="{}" defer></script>', ((static(s),) for s in parts.scripts)
    )

from __future__ import annotations

import json

from django import template
from django.utils.safestring import mark_safe

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
            {"name": last.headline, "url": request.build_absolute_uri(last.get_absolute_url())}
        )
    return jsonld(
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": it["name"], "item": it["url"]}
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

"""The article page's engagement context (NEWSDESK_ARTICLE_EXTRAS)."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse

from newsdesk.engagement import readers, selectors


def article_extras(request, article) -> dict:
    """Views, reactions and the beacon for `article`: two queries.

    Nothing is counted here: the page may be served from a cache, so the view
    is counted by the beacon the page loads.
    """
    cookie = request.COOKIES.get(readers.COOKIE_NAME)
    reader = readers.cookie_key(cookie) if readers.valid_cookie(cookie) else None
    match = getattr(request, "resolver_match", None)
    counting = article.is_live() and not (match and match.url_name == "preview")
    return {
        "views": selectors.view_count(article.pk),
        "reactions": selectors.reaction_counts(article.pk, reader=reader),
        "reactions_template": "engagement/_reactions.html",
        "article_scripts": [static("engagement/engagement.js")],
        "engagement": {
            "counting": counting,
            "beacon": reverse("engagement:beacon", args=[article.pk]),
            "pixel": reverse("engagement:pixel", args=[article.pk]),
            "react": reverse("engagement:react", args=[article.pk]),
            "state": reverse("engagement:state", args=[article.pk]),
            "css": static("engagement/engagement.css"),
        },
    }

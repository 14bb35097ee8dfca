"""The article page's engagement context (NEWSDESK_ARTICLE_EXTRAS)."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse

from newsdesk.engagement import selectors


def article_extras(request, article) -> dict:
    """Views, reactions and the beacon for `article`: two queries.

    The same for every reader: the page is shared by caches. Nothing is
    counted here (the beacon the page loads counts the view), the reader's own
    reaction is not marked (the script asks /engagement/state for it, and the
    reactions page shows it without JavaScript), and the form carries no CSRF
    token (views.react checks the Origin instead).
    """
    match = getattr(request, "resolver_match", None)
    counting = article.is_live() and not (match and match.url_name == "preview")
    return {
        "views": selectors.view_count(article.pk),
        "reactions": selectors.reaction_counts(article.pk, reader=None),
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

"""The article page's engagement extensions (registered in engagement.apps)."""

from __future__ import annotations

from django.templatetags.static import static

from newsdesk.engagement import selectors
from newsdesk.news.models import fast_reverse


def views_context(request, article) -> dict:
    """The view count under the headline: one query."""
    return {"views": selectors.view_count(article.pk)}


def reactions_context(request, article) -> dict:
    """Reactions and the beacon for `article`: one query.

    The same for every reader: the page is shared by caches. Nothing is
    counted here (the beacon the page loads counts the view), the reader's own
    reaction is not marked (the script asks /engagement/state for it, and the
    reactions page shows it without JavaScript), and the form carries no CSRF
    token (views.react checks the Origin instead).
    """
    match = getattr(request, "resolver_match", None)
    counting = article.is_live() and not (match and match.url_name == "preview")
    return {
        "reactions": selectors.reaction_counts(article.pk, reader=None),
        "engagement": {
            "counting": counting,
            "beacon": fast_reverse("engagement:beacon", pk=article.pk),
            "pixel": fast_reverse("engagement:pixel", pk=article.pk),
            "react": fast_reverse("engagement:react", pk=article.pk),
            "state": fast_reverse("engagement:state", pk=article.pk),
            "css": static("engagement/engagement.css"),
        },
    }


def register() -> None:
    """engagement's parts of news's pages (news.extensions)."""
    from newsdesk.engagement.providers import most_read
    from newsdesk.news import extensions
    from newsdesk.news.blocks import newest_site_wide

    extensions.register_extra(
        "views", slot="meta", template="engagement/_views.html", context=views_context
    )
    extensions.register_extra(
        "reactions",
        slot="main",
        template="engagement/_reactions.html",
        context=reactions_context,
        scripts=("engagement/engagement.js",),
    )
    extensions.register_block(
        "most-read",
        title="Most read",
        provider=most_read,
        fallback=newest_site_wide,
        setting="NEWSDESK_MOST_READ_PROVIDER",
        pages=("article", "home"),
    )

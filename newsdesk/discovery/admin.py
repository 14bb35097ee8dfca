"""On an article's admin page: its Related list and its duplicate-group members.

news must not import discovery, so the registered article admin (news', or a
subclass another app registered) is extended here with read-only fields.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from newsdesk.discovery import selectors
from newsdesk.news.models import Article


def _links(articles) -> str:
    return format_html_join(
        "",
        '<li><a href="{}">{}</a>{}</li>',
        (
            (
                reverse("admin:news_article_change", args=[a.pk]),
                a.headline,
                extra,
            )
            for a, extra in articles
        ),
    )


def _extend(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    class DiscoveryArticleAdmin(base):  # type: ignore[valid-type, misc]
        readonly_fields = (*base.readonly_fields, "related_list", "duplicates")
        fieldsets = (
            *base.fieldsets,
            ("Related", {"fields": ("related_list", "duplicates")}),
        )

        @admin.display(description="Related articles")
        def related_list(self, obj):
            rows = selectors.stored_related(obj.pk) if obj.pk else []
            if not rows:
                return "None yet (the article is not live, or not indexed yet)."
            return format_html(
                "<ol>{}</ol>",
                _links((a, f" ({score:.2f})") for a, score in rows),
            )

        @admin.display(description="Copies of the same report")
        def duplicates(self, obj):
            members = selectors.duplicate_group_members(obj.pk) if obj.pk else []
            if not members:
                return "None."
            return format_html(
                "<ul>{}</ul>",
                _links(
                    (a, f" ({a.source.name})" if a.source_id else "") for a in members
                ),
            )

    return DiscoveryArticleAdmin


if admin.site.is_registered(Article):
    current = type(admin.site._registry[Article])
    admin.site.unregister(Article)
    admin.site.register(Article, _extend(current))

"""Editors see views and reactions next to each article (list and change page).

news must not import engagement, so the article admin is replaced here by a
subclass that only adds read-only figures.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from newsdesk.engagement import selectors
from newsdesk.news.admin import ArticleAdmin
from newsdesk.news.dashboard import sparkline
from newsdesk.news.models import Article

FIGURES = ("views_total", "views_24h", "reactions_total", "reactions_24h")


class EngagementArticleAdmin(ArticleAdmin):
    list_display = (*ArticleAdmin.list_display, *FIGURES)
    readonly_fields = (
        *ArticleAdmin.readonly_fields,
        *FIGURES,
        "reaction_breakdown",
        "views_sparkline",
    )
    fieldsets = (
        *ArticleAdmin.fieldsets,
        (
            "Engagement",
            {"fields": ("views_sparkline", *FIGURES, "reaction_breakdown")},
        ),
    )

    def get_queryset(self, request):
        return selectors.with_engagement(super().get_queryset(request))

    @admin.display(description="Views", ordering="views_total")
    def views_total(self, obj):
        return getattr(obj, "views_total", 0)

    @admin.display(description="Views 24 h", ordering="views_24h")
    def views_24h(self, obj):
        return getattr(obj, "views_24h", 0)

    @admin.display(description="Reactions", ordering="reactions_total")
    def reactions_total(self, obj):
        return getattr(obj, "reactions_total", 0)

    @admin.display(description="Reactions 24 h", ordering="reactions_24h")
    def reactions_24h(self, obj):
        return getattr(obj, "reactions_24h", 0)

    @admin.display(description="Views by hour since publication")
    def views_sparkline(self, obj):
        if obj.pk is None or obj.published_at is None:
            return "-"
        values = selectors.article_views_by_hour(obj)
        if not values:
            return "Not published yet."
        label = (
            f"Views per hour over the last {len(values)} hours: "
            f"{sum(values):,} in total, at most {max(values):,} in an hour."
        )
        return format_html("{} <span>{}</span>", sparkline(values, label=label), label)

    @admin.display(description="Reactions by kind")
    def reaction_breakdown(self, obj):
        if obj.pk is None:
            return "-"
        counts = selectors.reaction_counts(obj.pk, reader=None)
        return ", ".join(f"{c.kind.label}: {c.count}" for c in counts)


if admin.site.is_registered(Article):
    admin.site.unregister(Article)
admin.site.register(Article, EngagementArticleAdmin)

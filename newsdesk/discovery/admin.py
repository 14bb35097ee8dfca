"""Discovery in the admin. Editors correct the story engine (pin a title, merge
stories, move articles between stories or split some off; rules live in
stories/actions.py), and an article's admin page shows its Related list and its
duplicate-group members: news must not import discovery, so the registered
article admin (news', or a subclass another app registered) is extended here
with read-only fields."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from newsdesk.discovery.models import Story, StoryMember
from newsdesk.discovery.related import selectors
from newsdesk.discovery.stories import actions as story_actions
from newsdesk.news.models import Article

MEMBERS_SHOWN = 100


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "size", "last_published_at", "title_pinned", "merged")
    list_filter = ("title_pinned", "merged_by_editor")
    search_fields = ("title",)
    ordering = ("-last_published_at",)
    fields = (
        "title", "title_pinned", "page", "size", "first_published_at",
        "last_published_at", "merged_into", "merged_by_editor", "key", "members",
    )  # fmt: skip
    readonly_fields = (
        "page", "size", "first_published_at", "last_published_at", "merged_into",
        "merged_by_editor", "key", "members",
    )  # fmt: skip
    actions = ["merge_selected"]

    def has_add_permission(self, request) -> bool:
        return False  # stories come from the engine or from a split

    @admin.display(description="merged into")
    def merged(self, obj: Story):
        return obj.merged_into_id or ""

    @admin.display(description="page")
    def page(self, obj: Story):
        if not obj.pk:
            return ""
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), "View")

    @admin.display(description="reports")
    def members(self, obj: Story):
        rows = (
            StoryMember.objects.filter(story_id=obj.pk)
            .select_related("article")
            .order_by("-article__published_at")[:MEMBERS_SHOWN]
        )
        members_url = reverse("admin:discovery_storymember_changelist")
        return format_html(
            '<ul>{}</ul><p><a href="{}?story_id={}">Move or split these</a></p>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:news_article_change", args=[m.article_id]),
                        m.article.headline,
                        m.article.published_at,
                    )
                    for m in rows
                ),
            ),
            members_url,
            obj.pk,
        )

    def save_model(self, request, obj: Story, form, change) -> None:
        if "title" in form.changed_data or "title_pinned" in form.changed_data:
            # An edited title is pinned; clearing the pin hands it back.
            pin = obj.title_pinned or "title" in form.changed_data
            story_actions.pin_title(obj, obj.title if pin else "")
            if not pin:
                story_actions.refresh_stories([obj.pk])
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Merge the selected stories into the largest")
    def merge_selected(self, request, queryset) -> None:
        stories = sorted(queryset, key=lambda s: (-s.size, s.pk))
        if len(stories) < 2:
            self.message_user(request, "Select two stories or more.", messages.WARNING)
            return
        into = story_actions.merge_stories(stories[1:], stories[0])
        self.message_user(request, f"Merged {len(stories) - 1} into “{into}”.")


class MoveForm(ActionForm):
    story = forms.IntegerField(
        required=False, min_value=1, label="Story id", help_text="for Move"
    )


@admin.register(StoryMember)
class StoryMemberAdmin(admin.ModelAdmin):
    list_display = ("headline", "story", "published")
    list_select_related = ("article",)
    search_fields = ("article__headline",)
    ordering = ("-article__published_at",)
    action_form = MoveForm
    actions = ["move_selected", "split_selected"]
    list_filter = ()

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        story_id = request.GET.get("story_id", "")
        return qs.filter(story_id=int(story_id)) if story_id.isdigit() else qs

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup == "story_id" or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("discovery.change_story")

    @admin.display(description="article")
    def headline(self, obj):
        return obj.article.headline

    @admin.display(description="story")
    def story(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:discovery_story_change", args=[obj.story_id]),
            obj.story_id,
        )

    @admin.display(description="published")
    def published(self, obj):
        return obj.article.published_at

    @admin.action(description="Move the selected articles to the story id given")
    def move_selected(self, request, queryset) -> None:
        raw = request.POST.get("story", "")
        story = Story.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if story is None:
            self.message_user(request, "Give an existing story id.", messages.ERROR)
            return
        ids = list(queryset.values_list("article_id", flat=True))
        n = story_actions.move_articles(ids, story)
        self.message_user(request, f"Moved {n} article(s) to “{story}”.")

    @admin.action(description="Split the selected articles into a new story")
    def split_selected(self, request, queryset) -> None:
        ids = list(queryset.values_list("article_id", flat=True))
        story = story_actions.split_story(ids)
        self.message_user(request, f"Made the new story “{story}” ({story.pk}).")


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

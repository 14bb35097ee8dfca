"""Editor admin. Rules live in actions; this module wires forms to them."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from newsdesk.news import actions, images
from newsdesk.news.models import Article, Category, Source, Tag

PUBLISH_PERM = "news.publish_article"
EDITORIAL_STATES = {
    Article.Status.PUBLISHED,
    Article.Status.SCHEDULED,
    Article.Status.WITHDRAWN,
}


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [  # noqa: RUF100 - the admin's fieldsets decide the layout
            "headline", "slug", "standfirst", "body", "category", "tags", "featured",
            "status", "published_at", "updated_at", "noindex", "byline", "source",
            "credit", "dateline", "original_url", "original_published_at",
            "external_id", "lead_image", "lead_image_alt", "lead_image_caption",
            "lead_image_credit", "lead_image_licence", "lead_image_focal_x",
            "lead_image_focal_y",
        ]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if (
            user is not None
            and not user.has_perm(PUBLISH_PERM)
            and "status" in self.fields
        ):
            self.fields["status"].choices = [(Article.Status.DRAFT, "Draft")]
            self.fields[
                "status"
            ].help_text = "Reporters save drafts; an editor publishes."

    def clean_lead_image(self):
        image = self.cleaned_data.get("lead_image")
        limit = settings.NEWSDESK_IMAGE_MAX_BYTES
        if image and getattr(image, "size", 0) > limit:
            raise forms.ValidationError(
                f"The image is {image.size / 1e6:.1f} MB; the limit is "
                f"{limit / 1e6:.0f} MB. Export it smaller (2000 px wide is plenty)."
            )
        pixels = getattr(getattr(image, "image", None), "size", None)
        if pixels and pixels[0] * pixels[1] > images.MAX_PIXELS:
            raise forms.ValidationError(
                f"The image is {pixels[0]} x {pixels[1]} pixels; export it smaller."
            )
        return image

    def clean(self):
        data = super().clean()
        for name in ("lead_image_focal_x", "lead_image_focal_y"):
            if name in self.fields and data.get(name) is None:
                data[name] = 50  # left empty: the centre
        status = data.get("status")
        if self.user is not None and not self.user.has_perm(PUBLISH_PERM):
            if status in EDITORIAL_STATES:
                raise forms.ValidationError(
                    "Only editors can publish or withdraw articles."
                )
            if self.instance.pk and self.instance.status in EDITORIAL_STATES:
                raise forms.ValidationError(
                    "Only editors can change a published article."
                )
        if status == Article.Status.SCHEDULED:
            at = data.get("published_at")
            if not at:
                self.add_error("published_at", "Give the time this article goes live.")
            elif at <= timezone.now():
                self.add_error(
                    "published_at",
                    "A scheduled time must be in the future; "
                    "use Published to publish now.",
                )
        return data


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "position", "path")
    search_fields = ("name", "path")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("path",)

    def save_model(self, request, obj, form, change):
        actions.do_save_category(obj)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "credit", "licence", "indexing")
    list_filter = ("indexing",)
    search_fields = ("name", "credit")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ("headline", "category", "status", "published_at", "preview_link")
    list_filter = (
        "status",
        ("category", admin.RelatedOnlyFieldListFilter),
        "published_at",
        "source",
    )
    list_select_related = ("category",)
    search_fields = ("headline", "standfirst", "byline", "external_id")
    autocomplete_fields = ("category", "tags", "source")
    prepopulated_fields = {"slug": ("headline",)}
    date_hierarchy = "published_at"
    readonly_fields = ("created_at", "modified_at")
    actions = ("publish_selected", "withdraw_selected")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "headline",
                    "slug",
                    "standfirst",
                    "body",
                    "category",
                    "tags",
                    "featured",
                )
            },
        ),
        ("Publishing", {"fields": ("status", "published_at", "updated_at", "noindex")}),
        (
            "Credit and provenance",
            {
                "fields": (
                    "byline",
                    "source",
                    "credit",
                    "dateline",
                    "original_url",
                    "original_published_at",
                    "external_id",
                )
            },
        ),
        (
            "Lead image",
            {
                "fields": (
                    "lead_image",
                    "lead_image_alt",
                    "lead_image_caption",
                    ("lead_image_credit", "lead_image_licence"),
                    ("lead_image_focal_x", "lead_image_focal_y"),
                ),
                "description": "Alt text, credit and licence are required with an "
                "image. Sizes for every screen are made when you save.",
            },
        ),
        ("Record", {"fields": ("created_at", "modified_at"), "classes": ("collapse",)}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class FormWithUser(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return FormWithUser

    @admin.display(description="Preview")
    def preview_link(self, obj):
        return format_html(
            '<a href="{}">preview</a>', reverse("news:preview", args=[obj.pk])
        )

    def save_model(self, request, obj, form, change):
        # Tags are saved by save_related; an editorial update is stamped when a
        # live article's text changes.
        touched = change and bool(
            {"headline", "standfirst", "body"} & set(form.changed_data)
        )
        actions.do_save_article(obj, touch=touched)

    def view_on_site(self, obj):
        return reverse("news:preview", args=[obj.pk])

    @admin.action(description="Publish selected articles now", permissions=["publish"])
    def publish_selected(self, request, queryset):
        for article in queryset:
            actions.do_publish(article)
        self.message_user(
            request, f"Published {queryset.count()} article(s).", messages.SUCCESS
        )

    @admin.action(description="Withdraw selected articles", permissions=["publish"])
    def withdraw_selected(self, request, queryset):
        for article in queryset:
            actions.do_withdraw(article)
        self.message_user(
            request, f"Withdrew {queryset.count()} article(s).", messages.SUCCESS
        )

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERM)

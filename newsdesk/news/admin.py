"""Editor admin. Rules live in actions; this module wires forms to them."""

from __future__ import annotations

import re
from copy import copy

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.cache import never_cache

from newsdesk.news import actions, editor, images, selectors
from newsdesk.news.models import Article, Category, Source, Tag

PUBLISH_PERM = "news.publish_article"
EDITORIAL_STATES = {
    Article.Status.PUBLISHED,
    Article.Status.SCHEDULED,
    Article.Status.WITHDRAWN,
}


# Where search engines and social cards cut text off: guidance, not limits.
HEADLINE_ADVICE = 70
STANDFIRST_ADVICE = 160
TAGS_MAX = 30


def split_tag_names(raw: str) -> list[str]:
    """Typed tag names, cleaned, without repeats (case-insensitively)."""
    names: dict[str, str] = {}
    for part in (raw or "").split(","):
        name = " ".join(part.split())
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def check_upload(image):
    """An uploaded image within the size limits (ImageField checked it is one)."""
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


class ArticleForm(forms.ModelForm):
    body = editor.form_field(required=False, label="Body")
    tag_names = forms.CharField(
        required=False,
        label="Tags",
        max_length=2000,
        help_text="Comma-separated, e.g. “elections, Gauteng”. Tags that do not "
        "exist yet are created when you save.",
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )

    class Meta:
        model = Article
        fields = [  # noqa: RUF100 - the admin's fieldsets decide the layout
            "headline", "slug", "standfirst", "body", "category", "featured",
            "status", "published_at", "updated_at", "noindex", "byline", "source",
            "credit", "dateline", "original_url", "original_published_at",
            "external_id", "lead_image", "lead_image_alt", "lead_image_caption",
            "lead_image_credit", "lead_image_licence", "lead_image_focal_x",
            "lead_image_focal_y",
        ]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk and "tag_names" in self.fields:
            self.fields["tag_names"].initial = ", ".join(
                t.name for t in self.instance.tags.all()
            )
        for name, field in self.fields.items():
            widget = field.widget
            parts = getattr(widget, "widgets", None)
            if parts and len(parts) == 2:
                # The admin writes "Date:"/"Time:" as plain text, not labels.
                label = field.label or name
                parts[0].attrs["aria-label"] = f"{label}: date"
                parts[1].attrs["aria-label"] = f"{label}: time"
        for name, advice in (
            ("headline", HEADLINE_ADVICE),
            ("standfirst", STANDFIRST_ADVICE),
        ):
            if name in self.fields:
                # Read by article-form.js to show a live count with guidance.
                self.fields[name].widget.attrs["data-advice"] = advice
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
        return check_upload(self.cleaned_data.get("lead_image"))

    def clean_tag_names(self):
        names = split_tag_names(self.cleaned_data.get("tag_names", ""))
        if len(names) > TAGS_MAX:
            raise forms.ValidationError(f"At most {TAGS_MAX} tags.")
        too_long = [n for n in names if len(n) > 150]
        if too_long:
            raise forms.ValidationError(f"“{too_long[0][:40]}…” is too long for a tag.")
        return names

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


def status_label(article: Article) -> tuple[str, str]:
    """What an article is for readers right now, as (label, css class).

    A scheduled article whose time has come is live; the stored status only
    says how it got there.
    """
    if article.is_live():
        return "Live", "live"
    if article.status == Article.Status.SCHEDULED and article.published_at:
        when = timezone.localtime(article.published_at).strftime("%-d %b %H:%M")
        return f"Scheduled {when}", "scheduled"
    return article.get_status_display(), article.status


method_decorator_never_cache = method_decorator(never_cache)
MODEL_FIELDS = frozenset(f.name for f in Article._meta.get_fields())


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
    list_display = ("headline_cell", "status_shown", "published_short")
    list_display_links = ("headline_cell",)
    list_filter = (
        "status",
        ("category", admin.RelatedOnlyFieldListFilter),
        "published_at",
        "source",
    )
    list_select_related = ("category",)
    search_fields = ("headline", "standfirst", "byline", "external_id")
    autocomplete_fields = ("category", "source")
    prepopulated_fields = {"slug": ("headline",)}
    date_hierarchy = "published_at"
    readonly_fields = ("created_at", "modified_at")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        # The body editor's import map is the one inline script the CSP admits;
        # the editor also adds <style> elements of its own (styles cannot run
        # script, and this page is for staff only).
        response._csp_update = {
            "script-src": [editor.importmap_csp_source()],
            "style-src": ["'unsafe-inline'"],
        }
        return response

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
                    "tag_names",
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

    class Media:
        js = ["newsdesk/admin/article-form.js"]

    @admin.display(description="Headline", ordering="headline")
    def headline_cell(self, obj):
        return format_html(
            '<span class="nd-headline">{}</span><span class="nd-sub">{}{}</span>',
            obj.headline,
            obj.category.name,
            f" · {obj.byline}" if obj.byline else "",
        )

    @admin.display(description="Status", ordering="status")
    def status_shown(self, obj):
        label, css = status_label(obj)
        return format_html('<span class="nd-status nd-{}">{}</span>', css, label)

    @admin.display(description="Published", ordering="published_at")
    def published_short(self, obj):
        if obj.published_at is None:
            return "-"
        local = timezone.localtime(obj.published_at)
        return format_html(
            '<time datetime="{}">{}</time>',
            obj.published_at.isoformat(),
            local.strftime("%-d %b %H:%M"),
        )

    def get_urls(self):
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="news_article_preview",
        )
        return [preview, *super().get_urls()]

    @method_decorator_never_cache
    def preview_view(self, request):
        """The article page as readers would see it, from the unsaved form.

        Nothing is written: the form's values are applied to a copy of the
        saved article (or a new one) that is only rendered.
        """
        if request.method != "POST":
            raise PermissionDenied
        pk = request.POST.get("_preview_pk") or None
        obj = self.get_object(request, pk) if pk else None
        if not (
            self.has_change_permission(request, obj)
            if obj
            else self.has_add_permission(request)
        ):
            raise PermissionDenied
        form_class = self.get_form(request, obj, change=obj is not None)
        form = form_class(request.POST, request.FILES, instance=copy(obj) or None)
        form.is_valid()  # fills cleaned_data with the fields that are valid
        if not form.cleaned_data.get("category"):
            return TemplateResponse(
                request,
                "admin/news/article/preview_errors.html",
                {
                    "form": form,
                    "title": "Preview",
                    **self.admin_site.each_context(request),
                },
                status=400,
            )
        article = copy(obj) if obj is not None else Article(pk=0)
        for name, value in form.cleaned_data.items():
            if name in {"tag_names", "lead_image"} or name not in MODEL_FIELDS:
                continue  # uploads are shown once saved; tags as saved
            setattr(article, name, value)
        if not article.slug:
            article.slug = actions.make_slug(article.headline or "preview")
        if article.status == Article.Status.PUBLISHED and not article.published_at:
            article.published_at = timezone.now()
        return TemplateResponse(
            request,
            "news/article.html",
            {
                "article": article,
                "breadcrumb": selectors.breadcrumb(article.category),
                "blocks": [],
                "preview": True,
            },
        )

    def save_model(self, request, obj, form, change):
        # An editorial update is stamped when a live article's text changes.
        touched = change and bool(
            {"headline", "standfirst", "body"} & set(form.changed_data)
        )
        tags = actions.get_or_create_tags(form.cleaned_data.get("tag_names") or [])
        actions.do_save_article(obj, touch=touched, tags=tags)

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


class ImageForm(forms.ModelForm):
    class Meta:
        model = images.Image
        fields = ["file", "alt", "caption", "credit", "licence", "focal_x", "focal_y"]

    def clean_file(self):
        return check_upload(self.cleaned_data.get("file"))


@admin.register(images.Image)
class ImageAdmin(admin.ModelAdmin):
    """The image library for article bodies; the editor's figure dialog opens
    its picker ("Browse...") to upload or choose one."""

    form = ImageForm
    list_display = ("thumbnail", "alt", "credit", "licence", "created_at")
    search_fields = ("alt", "caption", "credit")

    @admin.display(description="Image")
    def thumbnail(self, obj):
        # Decorative here: the alt text is the next column.
        return format_html(
            '<img src="{}" alt="" width="80" loading="lazy">',
            obj.body_url(max_width=480),
        )

    def save_model(self, request, obj, form, change):
        images.do_save_image(obj)

    def get_urls(self):
        picker = path(
            "picker/",
            self.admin_site.admin_view(self.picker_view),
            name="news_image_picker",
        )
        return [picker, *super().get_urls()]

    def picker_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        number = request.GET.get("CKEditorFuncNum", request.POST.get("func", ""))
        # The editor numbers its callbacks -1, -2...: an integer, nothing else.
        number = number if re.fullmatch(r"-?[0-9]{1,9}", number) else ""
        can_add = self.has_add_permission(request)
        chosen = None
        form = ImageForm()
        if request.method == "POST":
            if not can_add:
                raise PermissionDenied
            form = ImageForm(request.POST, request.FILES)
            if form.is_valid():
                chosen = images.do_save_image(form.save(commit=False))
                form = ImageForm()
        query = request.GET.get("q", "")[:100]
        library = images.Image.objects.all()
        if query:
            library = library.filter(alt__icontains=query) | library.filter(
                caption__icontains=query
            )
        items = [(image, image.body_url()) for image in library[:40]]
        return TemplateResponse(
            request,
            "admin/news/image/picker.html",
            {
                **self.admin_site.each_context(request),
                "title": "Choose or upload an image",
                "items": items,
                "form": form,
                "can_add": can_add,
                "func": number,
                "query": query,
                "chosen": chosen,
                "chosen_url": chosen.body_url() if chosen else "",
                "is_popup": True,
            },
        )

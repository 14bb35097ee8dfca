from django import forms
from django.contrib import admin, messages

from newsdesk.ingest import runs
from newsdesk.ingest.models import Feed, IngestError, Tombstone
from newsdesk.ingest.rules import parse_rules


class FeedAdminForm(forms.ModelForm):
    def clean_mapping_rules(self):
        text = self.cleaned_data.get("mapping_rules", "")
        try:
            parse_rules(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    form = FeedAdminForm
    list_display = (
        "url", "source", "category", "format", "publish", "enabled",
        "last_success_at", "items_created", "items_failed", "short_error",
    )  # fmt: skip
    list_filter = ("enabled", "publish", "format", "indexing")
    search_fields = ("url", "source__name")
    autocomplete_fields = ("source",)
    readonly_fields = (
        "last_fetched_at", "last_success_at", "next_fetch_at", "last_error", "etag",
        "last_modified", "fetch_count", "error_count", "consecutive_errors",
        "items_created", "items_updated", "items_withdrawn", "items_skipped",
        "items_failed", "images_stored", "images_failed",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("source", "url", "format", "enabled")}),
        ("Placement", {"fields": ("category", "mapping_rules")}),
        ("Policy", {"fields": ("publish", "indexing", "poll_minutes")}),
        ("Status", {"fields": readonly_fields}),
    )
    actions = ("fetch_now",)

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Fetch the selected feeds now")
    def fetch_now(self, request, queryset):
        for feed in queryset.select_related("source", "category"):
            run = runs.do_run_feed(feed)
            level = messages.ERROR if run.status == "error" else messages.SUCCESS
            self.message_user(
                request,
                f"{feed.url}: {run.status} {run.error} {run.counts.as_dict()}",
                level,
            )


@admin.register(IngestError)
class IngestErrorAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "stage", "external_id", "message")
    list_filter = ("stage", "source")
    search_fields = ("external_id", "message")
    readonly_fields = [f.name for f in IngestError._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    list_display = ("source", "external_id", "reason", "created_at")
    list_filter = ("source", "reason")
    search_fields = ("external_id",)

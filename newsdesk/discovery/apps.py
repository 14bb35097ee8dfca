from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "newsdesk.discovery"
    label = "discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from newsdesk.discovery import (
            checks,  # noqa: F401 - registers the related index's doctor check
            receivers,
        )
        from newsdesk.engagement.signals import view_recorded
        from newsdesk.news.signals import article_changed

        article_changed.connect(
            receivers.on_article_changed, dispatch_uid="discovery.related_index"
        )
        view_recorded.connect(
            receivers.record_history, dispatch_uid="discovery.record_history"
        )

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "newsdesk.discovery"
    label = "discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from newsdesk.discovery import receivers, related_index
        from newsdesk.news.signals import article_changed

        article_changed.connect(
            related_index.on_article_changed, dispatch_uid="discovery.related_index"
        )
        request_started.connect(
            receivers.remember_request, dispatch_uid="discovery.remember_request"
        )
        request_finished.connect(
            receivers.forget_request, dispatch_uid="discovery.forget_request"
        )

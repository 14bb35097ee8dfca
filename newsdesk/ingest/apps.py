from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "newsdesk.ingest"
    label = "ingest"
    verbose_name = "Ingest"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from newsdesk.ingest import receivers
        from newsdesk.news.models import Article

        post_delete.connect(
            receivers.article_deleted, sender=Article, dispatch_uid="ingest-tombstone"
        )

from django.apps import AppConfig


class CacheConfig(AppConfig):
    name = "newsdesk.cache"
    label = "pagecache"

    def ready(self) -> None:
        from newsdesk.cache import receivers
        from newsdesk.news.signals import article_changed, pages_changed

        article_changed.connect(
            receivers.on_article_changed, dispatch_uid="pagecache.purge"
        )
        pages_changed.connect(
            receivers.on_pages_changed, dispatch_uid="pagecache.purge-tags"
        )

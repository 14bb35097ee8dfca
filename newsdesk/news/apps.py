from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "newsdesk.news"
    label = "news"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from newsdesk.news.blocks import forget_shared_lists
        from newsdesk.news.caching import articles_changed
        from newsdesk.news.models import Category
        from newsdesk.news.selectors import forget_categories
        from newsdesk.news.signals import article_changed

        for signal in (post_save, post_delete):
            signal.connect(
                forget_categories, sender=Category, dispatch_uid="news.categories"
            )
        article_changed.connect(forget_shared_lists, dispatch_uid="news.shared_lists")
        article_changed.connect(articles_changed, dispatch_uid="news.change_clock")

        from newsdesk.news import checks  # noqa: F401 - registers doctor checks

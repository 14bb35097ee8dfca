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
        register_page_extensions()


def register_page_extensions() -> None:
    """discovery's parts of news's pages (news.extensions): its list blocks,
    extras and the duplicate-group lookup every list uses."""
    from newsdesk.discovery.recommend.selectors import recommended_fallback
    from newsdesk.discovery.related import hooks
    from newsdesk.discovery.related.providers import duplicate_groups, related
    from newsdesk.discovery.stories.sitemaps import StorySitemap
    from newsdesk.discovery.stories.views import story_api_paths
    from newsdesk.news import extensions
    from newsdesk.news.blocks import more_news, newest_in_category

    extensions.register_duplicate_groups(duplicate_groups)
    extensions.register_sitemap(StorySitemap)
    extensions.register_extra(
        "also-reported-by",
        slot="body",
        template="discovery/_also_reported_by.html",
        context=hooks.also_reported_by_context,
    )
    extensions.register_extra(
        "full-coverage",
        slot="body",
        template="discovery/_full_coverage.html",
        context=hooks.full_coverage_context,
    )
    extensions.register_item_links("story", hooks.story_item_links)
    extensions.register_api_paths(*story_api_paths())
    extensions.register_block(
        "related",
        title="Related",
        provider=related,
        fallback=newest_in_category,
        setting="NEWSDESK_RELATED_PROVIDER",
        slot="main",
    )
    extensions.register_block(
        "recommended",
        title="Recommended",
        provider=recommended_fallback,
        fallback=more_news,
        setting="NEWSDESK_RECOMMENDED_PROVIDER",
        pages=("article", "home"),
        template="discovery/_recommended_block.html",
        # Swaps the reader's personal list into the cached page.
        scripts=("discovery/recommend.js",),
    )

"""Feeds, sitemaps and the ninjs API (syndication out)."""

from django.urls import path

from newsdesk.news import api, feeds, sitemaps

app_name = "syndication"

urlpatterns = [
    path("feeds/rss.xml", feeds.LatestFeed(), name="rss"),
    path("feeds/atom.xml", feeds.LatestAtomFeed(), name="atom"),
    path(
        "feeds/section/<path:path>/rss.xml", feeds.CategoryFeed(), name="category-rss"
    ),
    path(
        "feeds/section/<path:path>/atom.xml",
        feeds.CategoryAtomFeed(),
        name="category-atom",
    ),
    path("feeds/tag/<str:slug>/rss.xml", feeds.TagFeed(), name="tag-rss"),
    path("feeds/tag/<str:slug>/atom.xml", feeds.TagAtomFeed(), name="tag-atom"),
    path("feeds/feed.json", feeds.LatestJsonFeed(), name="json"),
    path(
        "feeds/section/<path:path>/feed.json",
        feeds.CategoryJsonFeed(),
        name="category-json",
    ),
    path("feeds/tag/<str:slug>/feed.json", feeds.TagJsonFeed(), name="tag-json"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.section, name="sitemap-section"),
    path("publisher-logo.png", feeds.publisher_logo, name="publisher-logo"),
    path("api/", api.index, name="api"),
    path("api/items/", api.items, name="api-items"),
    path("api/items/<str:pk>/", api.item, name="api-item"),
    path("api/openapi.json", api.openapi, name="openapi"),
]

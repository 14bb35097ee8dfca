from django.contrib import admin
from django.urls import include, path

from newsdesk.news import views as news_views

urlpatterns = [
    path("robots.txt", news_views.robots_txt, name="robots"),
    path("admin/", admin.site.urls),
    # Uploaded images on one machine; a storage backend's own URLs otherwise.
    path("media/<path:path>", news_views.media, name="media"),
    path("", include("newsdesk.news.syndication_urls")),
    path("", include("newsdesk.engagement.urls")),
    path("", include("newsdesk.discovery.urls")),
    path("", include("newsdesk.ingest.urls")),
    # Reader pages last: the category catch-all must not shadow anything above.
    path("", include("newsdesk.news.urls")),
]

handler404 = "newsdesk.news.views.error_404"
handler500 = "newsdesk.news.views.error_500"

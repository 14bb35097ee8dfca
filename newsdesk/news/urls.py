from django.urls import path

from newsdesk.news import views

app_name = "news"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("tag/<str:slug>/", views.tag, name="tag"),
    path("news/<int:pk>/", views.article, name="article-by-id"),
    path("news/<int:pk>/preview/", views.preview, name="preview"),
    path("news/<int:pk>/<str:slug>/", views.article, name="article"),
    # Last: any other path is a category path of any depth.
    path("<path:path>/", views.category, name="category"),
]

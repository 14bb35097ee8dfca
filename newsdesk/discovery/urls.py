from django.urls import path

from newsdesk.discovery.recommend import views as recommend_views
from newsdesk.discovery.stories import feeds as story_feeds
from newsdesk.discovery.stories import views as story_views

app_name = "discovery"

urlpatterns = [
    path(
        "discovery/recommended",
        recommend_views.recommended,
        name="recommended",
    ),
    path("reader/", recommend_views.reader_page, name="reader"),
    path("story/<int:pk>/", story_views.story, name="story-by-id"),
    path("story/<int:pk>/<str:slug>/", story_views.story, name="story"),
    path("feeds/story/<int:pk>/rss.xml", story_feeds.StoryFeed(), name="story-rss"),
    path(
        "feeds/story/<int:pk>/atom.xml", story_feeds.StoryAtomFeed(), name="story-atom"
    ),
    path("api/stories/<str:pk>/", story_views.story_api, name="story-api"),
    path("reader/clear", recommend_views.clear_history, name="clear"),
    path(
        "reader/personalise",
        recommend_views.set_personalisation,
        name="personalise",
    ),
]

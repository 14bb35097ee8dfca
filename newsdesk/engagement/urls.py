from django.urls import path

from newsdesk.engagement import views

app_name = "engagement"

urlpatterns = [
    path("engagement/beacon/<int:pk>", views.beacon, name="beacon"),
    path("engagement/pixel/<int:pk>.gif", views.pixel, name="pixel"),
    path("engagement/react/<int:pk>", views.react, name="react"),
    path("engagement/state/<int:pk>", views.state, name="state"),
    path("engagement/most-read/", views.most_read, name="most-read"),
]

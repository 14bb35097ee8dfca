"""Feeds, sitemaps and the ninjs API (syndication out)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

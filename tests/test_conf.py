"""Settings from the environment: bad values stop start-up with what to fix."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsdesk import conf


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("", False)]
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("NEWSDESK_X", raw)
    assert conf.env_bool("NEWSDESK_X", not expected) is expected


def test_bad_values_name_the_variable_and_the_fix(monkeypatch):
    monkeypatch.setenv("NEWSDESK_X", "maybe")
    with pytest.raises(
        ImproperlyConfigured, match=r"NEWSDESK_X='maybe' is not a boolean"
    ):
        conf.env_bool("NEWSDESK_X", False)
    monkeypatch.setenv("NEWSDESK_X", "12abc")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        conf.env_int("NEWSDESK_X", 1)
    monkeypatch.setenv("NEWSDESK_X", "0")
    with pytest.raises(ImproperlyConfigured, match="out of range: use 1 to 200"):
        conf.env_int("NEWSDESK_X", 20, minimum=1, maximum=200)
    monkeypatch.setenv("NEWSDESK_X", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        conf.env_float("NEWSDESK_X", 1.0)


def test_database_urls():
    sqlite = conf.database_from_url("sqlite:////tmp/x.sqlite3", sqlite_default="d")
    assert sqlite["NAME"] == "/tmp/x.sqlite3"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    assert conf.database_from_url("", sqlite_default="/a/b.db")["NAME"] == "/a/b.db"
    assert (
        conf.database_from_url("sqlite:///rel.db", sqlite_default="d")["NAME"]
        == "rel.db"
    )
    pg = conf.database_from_url(
        "postgres://news:p%40ss@db.local:5433/newsdesk?sslmode=require",
        sqlite_default="d",
    )
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "news",
        "p@ss",
        "db.local",
        "5433",
        "newsdesk",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        conf.database_from_url("mysql://x/y", sqlite_default="d")


def test_cache_urls():
    assert "LocMem" in conf.cache_from_url("locmem://", file_default="d")["BACKEND"]
    assert conf.cache_from_url("", file_default="/c")["LOCATION"] == "/c"
    redis = conf.cache_from_url("redis://127.0.0.1:6379/1", file_default="d")
    assert redis["BACKEND"].endswith("RedisCache")
    with pytest.raises(ImproperlyConfigured, match="memcached"):
        conf.cache_from_url("memcached://x", file_default="d")


def test_database_connections_persist():
    # Reopening SQLite and running its PRAGMAs per request cost ~0.7 ms.
    sqlite = conf.database_from_url("sqlite:////tmp/x.sqlite3", sqlite_default="d")
    assert sqlite["CONN_MAX_AGE"] is None
    pg = conf.database_from_url("postgres://u:p@h/d", sqlite_default="d")
    assert pg["CONN_MAX_AGE"] > 0 and pg["CONN_HEALTH_CHECKS"]


def test_a_replaced_setting_stops_start_up_with_its_replacement(monkeypatch):
    conf.refuse_replaced({"NEWSDESK_GONE": "use NEWSDESK_NEW"})  # unset: fine
    monkeypatch.setenv("NEWSDESK_GONE", "")
    with pytest.raises(
        ImproperlyConfigured, match="NEWSDESK_GONE no longer exists: use NEWSDESK_NEW"
    ):
        conf.refuse_replaced({"NEWSDESK_GONE": "use NEWSDESK_NEW"})

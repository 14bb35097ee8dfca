"""schemathesis against /api/openapi.json: no server errors, every response as
documented (status, content type, body schema, headers)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from .test_syndication import content  # noqa: E402, F401 (fixture)

# Loading the document touches no database: /api/openapi.json is static.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_test_connection():
    """Calls go straight to the WSGI app, so Django's per-request connection
    housekeeping would close the test's open transaction (on PostgreSQL with
    CONN_MAX_AGE); Django's own test client switches it off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_openapi_document(case, content, keep_test_connection):  # noqa: F811
    case.call_and_validate()

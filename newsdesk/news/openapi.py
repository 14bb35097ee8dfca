"""The OpenAPI 3.1 description of the ninjs API (served at /api/openapi.json).

Written out by hand: the API has three GET endpoints and no serializer classes
a generator could read. Other apps add their endpoints under /api/ through
news.extensions.register_api_paths (discovery: /api/stories/{id}/).
"""

from __future__ import annotations

from newsdesk.news import extensions

# What api.encode_cursor writes (microseconds since year 1, "_", an item id):
# every string that matches is a cursor, anything else is a 400.
CURSOR_PATTERN = r"^[0-9]{1,17}_[1-9][0-9]{0,17}$"
ERROR = {"$ref": "#/components/responses/Error"}
NOT_MODIFIED = {
    "description": "Not modified since the ETag given in If-None-Match.",
    "headers": {"ETag": {"schema": {"type": "string"}}},
}
LIST_PARAMETERS = [
    {
        "name": "category",
        "in": "query",
        "description": "Section path (world/europe); includes its subsections.",
        "schema": {"type": "string"},
    },
    {
        "name": "tag",
        "in": "query",
        "description": "Tag slug.",
        "schema": {"type": "string"},
    },
    {
        "name": "source",
        "in": "query",
        "description": "Source id.",
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "since",
        "in": "query",
        "description": "Published at or after (ISO 8601 with offset).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "until",
        "in": "query",
        "description": "Published before (ISO 8601 with offset).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": "Opaque cursor from a previous page's `next`.",
        "schema": {"type": "string", "pattern": CURSOR_PATTERN},
    },
    {
        "name": "limit",
        "in": "query",
        "description": "Items per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    {"$ref": "#/components/parameters/IfNoneMatch"},
]
NINJS_ITEM = {
    "type": "object",
    "description": (
        "An IPTC ninjs 3.0 news item; the full schema is "
        "http://www.iptc.org/std/ninjs/ninjs-schema_3.0.json."
    ),
    "required": ["uri", "type", "pubStatus", "headlines", "standard"],
    "properties": {
        "uri": {"type": "string", "format": "uri"},
        "type": {"type": "string", "enum": ["text"]},
        "pubStatus": {"type": "string", "enum": ["usable", "withheld", "canceled"]},
        "representationType": {"type": "string", "enum": ["full", "partial"]},
        "version": {"type": "string"},
        "language": {"type": "string"},
        "firstCreated": {"type": "string", "format": "date-time"},
        "versionCreated": {"type": "string", "format": "date-time"},
        "contentCreated": {"type": "string", "format": "date-time"},
        "headlines": {"type": "array", "items": {"type": "object"}},
        "descriptions": {"type": "array", "items": {"type": "object"}},
        "bodies": {"type": "array", "items": {"type": "object"}},
        "subjects": {"type": "array", "items": {"type": "object"}},
        "renditions": {"type": "array", "items": {"type": "object"}},
        "associations": {"type": "array", "items": {"type": "object"}},
        "infoSources": {"type": "array", "items": {"type": "object"}},
        "altIds": {"type": "array", "items": {"type": "object"}},
        "standard": {"type": "object"},
        "by": {"type": "string"},
        "located": {"type": "string"},
        "copyrightHolder": {"type": "string"},
        "usageTerms": {"type": "string"},
        "rightsInfo": {"type": "object"},
    },
}


def get_by_id(
    *,
    operation_id: str,
    summary: str,
    description: str,
    schema: str,
    responses: dict | None = None,
) -> dict:
    """The path item of GET /api/<things>/{id}/: 200 (with its ETag) holding a
    `schema` of the components, 304, 404, and any other `responses`."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                {"$ref": "#/components/parameters/IfNoneMatch"},
            ],
            "responses": {
                "200": {
                    "description": description,
                    "headers": {"ETag": {"schema": {"type": "string"}}},
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{schema}"}
                        }
                    },
                },
                "304": NOT_MODIFIED,
                "404": ERROR,
                **(responses or {}),
            },
        }
    }


def openapi_document(*, server: str) -> dict:
    paths, schemas = extensions.api_paths()
    doc = _document(server)
    doc["paths"] |= paths
    doc["components"]["schemas"] |= schemas
    return doc


def _document(server: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsdesk ninjs API",
            "version": "1.0.0",
            "description": (
                "Read-only access to published articles as IPTC ninjs 3.0. Lists are "
                "newest first with cursor pagination; every 200 carries an ETag."
            ),
        },
        "servers": [{"url": server}],
        "paths": {
            "/api/": {
                "get": {
                    "operationId": "apiIndex",
                    "summary": "Links to the API's resources",
                    "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
                    "responses": {
                        "200": {
                            "description": "Links.",
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["items", "openapi"],
                                        "properties": {
                                            "items": {"type": "string"},
                                            "openapi": {"type": "string"},
                                            "format": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        "304": NOT_MODIFIED,
                    },
                }
            },
            "/api/items/": {
                "get": {
                    "operationId": "listItems",
                    "summary": "Published articles, newest first",
                    "parameters": LIST_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "A page of items.",
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ItemPage"}
                                }
                            },
                        },
                        "304": NOT_MODIFIED,
                        "400": ERROR,
                        "404": ERROR,
                    },
                }
            },
            "/api/items/{id}/": get_by_id(
                operation_id="getItem",
                summary="One article (a withdrawn one is a kill notice)",
                description="The item.",
                schema="NinjsItem",
            ),
        },
        "components": {
            "parameters": {
                "IfNoneMatch": {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                }
            },
            "responses": {
                "Error": {
                    "description": "The request cannot be answered; `error` says why.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error"],
                                "properties": {"error": {"type": "string"}},
                            }
                        }
                    },
                }
            },
            "schemas": {
                "NinjsItem": NINJS_ITEM,
                "ItemPage": {
                    "type": "object",
                    "required": ["items", "next"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/NinjsItem"},
                        },
                        "next": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }

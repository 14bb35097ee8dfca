"""The article body editor (django-prose-editor: ProseMirror/Tiptap, served from
this site's static files, no CDN) and its agreement with the sanitizer.

`EXTENSIONS` decides what the editor can make. Every tag and attribute it can
make is in newsdesk.news.sanitize's allowlist, so saving never strips what an
editor wrote; the sanitizer additionally keeps `FEED_ONLY_TAGS`, markup that
arrives from feeds and wires but that the editor offers no button for (it
shows such text as plain text when an ingested article is edited).
tests/news/test_admin_editor.py holds both sides to exactly this.

Pasted Word or Google Docs markup is parsed into the editor's schema, which
drops everything it does not know (styles, classes, spans, comments) before the
sanitizer runs on save.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

from django.urls import reverse_lazy

EXTENSIONS: dict[str, Any] = {
    "Heading": {"levels": [2, 3, 4]},  # h1 is the headline
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Code": True,
    "CodeBlock": True,
    "HardBreak": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    # "Browse..." in the figure dialog opens the image library to upload or pick.
    "Figure": {"pickerUrl": reverse_lazy("admin:news_image_picker")},
    "Image": True,
    "Caption": True,
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
    "History": True,
}

# Kept from feeds by the sanitizer, never made by the editor.
FEED_ONLY_TAGS = frozenset(
    {
        "abbr", "b", "caption", "cite", "dd", "del", "dl", "dt", "i", "ins", "kbd",
        "mark", "q", "small", "tfoot", "time",
    }
)  # fmt: skip
# Attributes the editor can write that the sanitizer manages itself or drops on
# purpose: rel is set on every link by the sanitizer; data-* and the list type
# carry no meaning for readers.
EDITOR_ATTRIBUTES_DROPPED = frozenset(
    {("a", "rel"), ("ol", "type"), ("ol", "data-type"), ("img", "data-file")}
)


def editor_allowlist() -> tuple[set[str], dict[str, set[str]]]:
    """(tags, attributes per tag) the configured editor can produce."""
    from django_prose_editor.config import allowlist_from_extensions

    config = allowlist_from_extensions(EXTENSIONS)
    return set(config["tags"]), {
        tag: set(attrs) for tag, attrs in config["attributes"].items()
    }


def form_field(**kwargs):
    """The body's form field: the editor, cleaned by the site's one sanitizer."""
    from django_prose_editor.fields import ProseEditorFormField

    from newsdesk.news.sanitize import clean_html

    return ProseEditorFormField(
        config={"extensions": EXTENSIONS}, sanitize=clean_html, **kwargs
    )


@functools.cache
def importmap_csp_source() -> str:
    """The CSP source admitting the editor's inline import map, and only it.

    django-prose-editor needs a `<script type="importmap">` in the page; the
    site's CSP allows no inline script, so the article form adds the map's
    SHA-256 hash to its own policy (admin pages only: public pages stay free of
    per-page policy changes). The map is fixed for a deployment's static files.
    """
    from django_prose_editor.widgets import importmap

    html = importmap.render()
    content = html[html.index(">") + 1 : html.rindex("</script>")]
    digest = hashlib.sha256(content.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"

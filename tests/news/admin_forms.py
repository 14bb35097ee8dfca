"""The article admin's add/change form as a browser posts it."""

from __future__ import annotations

# Every field of the form, empty (split date-times are two fields each).
EMPTY = {
    "slug": "", "standfirst": "", "tag_names": "", "byline": "", "credit": "",
    "dateline": "", "original_url": "", "external_id": "",
    "published_at_0": "", "published_at_1": "", "updated_at_0": "", "updated_at_1": "",
    "original_published_at_0": "", "original_published_at_1": "",
    "lead_image_alt": "", "lead_image_caption": "", "lead_image_credit": "",
    "lead_image_licence": "",
}  # fmt: skip


def article_form(
    category, /, *, headline: str, body: str, status: str, **fields
) -> dict:
    """The form's data for an article in `category`; `fields` fill in the rest."""
    return {
        **EMPTY, "headline": headline, "body": body, "category": category.pk,
        "status": status, **fields,
    }  # fmt: skip

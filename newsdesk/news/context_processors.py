from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    from newsdesk.news.selectors import top_categories

    return {
        "site_name": settings.NEWSDESK_SITE_NAME,
        "site_url": settings.NEWSDESK_SITE_URL,
        "site_description": settings.NEWSDESK_SITE_DESCRIPTION,
        # Lazy: only pages that draw the section menu pay its one query.
        "sections": SimpleLazyObject(top_categories),
    }

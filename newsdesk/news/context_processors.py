from django.conf import settings


def site(request):
    return {
        "site_name": settings.NEWSDESK_SITE_NAME,
        "site_url": settings.NEWSDESK_SITE_URL,
        "site_description": settings.NEWSDESK_SITE_DESCRIPTION,
    }

from django.conf import settings


def site(request):
    from newsdesk.news.selectors import top_categories

    memo: list = []

    def sections():
        # Templates call this lazily: only pages that draw the section menu pay
        # its one query, however often they draw it.
        if not memo:
            memo.append(top_categories())
        return memo[0]

    return {
        "site_name": settings.NEWSDESK_SITE_NAME,
        "site_url": settings.NEWSDESK_SITE_URL,
        "site_description": settings.NEWSDESK_SITE_DESCRIPTION,
        "sections": sections,
        # Where readers see and control what personalises their lists.
        "reader_page_url": settings.NEWSDESK_READER_PAGE_URL,
    }

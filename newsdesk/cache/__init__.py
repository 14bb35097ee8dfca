"""Serving at news scale: the full-page cache, its purges, the WSGI hit lane.

- pages.py       the cache itself: a short-lived copy in each process in front of
                 a Django cache shared by every process and host (file or Redis);
- middleware.py  stores public pages, answers hits and conditional requests
                 inside Django;
- lane.py        answers hits in front of Django (newsdesk.wsgi);
- receivers.py   article_changed -> the tags to purge;
- purge.py       purge backends that reach proxies and CDNs (HTTP BAN to Varnish).

Pages declare what they show with news.caching's tags; see docs/operators.md.
"""

vcl 4.1;
# Varnish in front of newsdesk (docs/operators.md, "Serving and caching").
#
# Public pages are the same bytes for every reader, so cookies are dropped from
# their requests and one copy serves everyone. newsdesk names what each page
# shows in X-Cache-Tags (",a12,c3,latest,") and, with
#   NEWSDESK_PURGE_BACKEND=newsdesk.cache.purge.HttpBanPurger
#   NEWSDESK_PURGE_URLS=http://127.0.0.1:6081
# sends `BAN /` with `X-Ban-Tags: ,(a12|c3|latest),` when articles change.
# Change the backend port to where `python -m newsdesk serve` listens.

import std;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = {
        .url = "/robots.txt";
        .interval = 5s;
        .timeout = 2s;
        .window = 3;
        .threshold = 2;
    }
}

# Who may purge: the application servers.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.X-Ban-Tags || req.http.X-Ban-Tags !~ "^,\([A-Za-z0-9_.|-]+\),$") {
            return (synth(400, "X-Ban-Tags: ,(tag|tag),"));
        }
        # obj.* only: the ban lurker can clear matching objects in the background.
        ban("obj.http.X-Cache-Tags ~ " + req.http.X-Ban-Tags);
        return (synth(200, "Banned"));
    }
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        return (purge);
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Per-reader endpoints (state, reactions, beacons, recommendations, the
    # reader's page), staff and search: always the application, with cookies.
    if (req.url ~ "^/(admin/|engagement/(state|react|beacon|pixel)|discovery/|reader/|search/)") {
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;\s*)sessionid=" || req.http.Authorization) {
        return (pass);
    }
    unset req.http.Cookie;
    # While the application is healthy, serve an expired page only for its
    # stale-while-revalidate time; when it is down, for as long as grace allows
    # (stale-if-error).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 60s;
    }
    return (hash);
}

sub vcl_backend_response {
    set beresp.grace = 24h;
    if (beresp.http.Content-Type ~ "^(text/|application/(json|xml|rss\+xml|atom\+xml|javascript))") {
        set beresp.do_gzip = true;
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # Internal: the tags are for bans, not for readers.
    unset resp.http.X-Cache-Tags;
}

"""Security defaults: headers, the TLS proxy, login throttling, deploy samples.

The CSP is checked where it matters, in Chromium (no `securitypolicyviolation`
on the reader pages or the admin); the trusted-proxy setting through a real
nginx running deploy/nginx.conf in front of `python -m newsdesk serve`.
"""

from __future__ import annotations

import configparser
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from newsdesk import conf
from tests.conftest import REPO, require

DEPLOY = REPO / "deploy"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def production_env() -> dict[str, str]:
    """deploy/newsdesk.env, the documented production settings."""
    env = {}
    for line in (DEPLOY / "newsdesk.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


def newsdesk_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a `python -m newsdesk` process on its own SQLite data."""
    # Not this run's settings, nor the async escape hatch browser tests set.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSDESK_", "DJANGO_"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
        NEWSDESK_CACHE_URL="locmem://",
        NEWSDESK_RECOMMEND_BACKGROUND_LOAD="0",
    )
    env.update(production_env())
    env.update(NEWSDESK_DATA_DIR=str(data_dir), **overrides)
    return env


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


# --- headers -------------------------------------------------------------------


@pytest.mark.django_db
def test_strict_csp_and_permissions_policy_on_every_page(
    client, tree, make_article, settings
):
    article = make_article(tree["finance"], headline="Talks on trade resume")
    paths = [
        "/",
        tree["finance"].get_absolute_url(),
        article.get_absolute_url(),
        "/search/?q=trade",
        "/no-such-page/",
        "/admin/login/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in {200, 404}, path
        assert directives(response["Content-Security-Policy"]) == POLICY, path
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, (path, feature)
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_public_pages_are_the_same_bytes_for_every_reader(tree, make_article):
    """No per-request nonce: a CDN may serve one copy of a page to everyone."""
    from django.test import Client

    article = make_article(tree["world"], headline="One copy for all")
    first, second = Client(), Client()
    for path in ("/", article.get_absolute_url()):
        a, b = first.get(path), second.get(path)
        assert a["Content-Security-Policy"] == b["Content-Security-Policy"]
        assert "nonce-" not in a["Content-Security-Policy"]
        assert b"nonce=" not in a.content


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>"  # inline script
    r"|<style\b|\sstyle=|\son[a-z]+=|javascript:",  # inline style, handler, URL
    re.I,
)


def test_no_template_has_inline_script_or_style():
    """Pages the browser test does not reach (500, withdrawn, preview) too."""
    found = [
        f"{path.relative_to(REPO)}: {m.group(0)}"
        for path in sorted((REPO / "newsdesk").rglob("templates/**/*.html"))
        for m in INLINE.finditer(path.read_text())
    ]
    assert found == []


def test_server_error_page_needs_no_inline_style(rf):
    from newsdesk.news.views import error_500

    page = error_500(rf.get("/")).content.decode()
    assert INLINE.search(page) is None
    assert "/static/newsdesk/site.css" in page


def test_lockout_parameters_from_the_environment():
    assert conf.lockout_parameters(["ip_address", "username+ip_address"]) == [
        "ip_address",
        ["username", "ip_address"],
    ]
    with pytest.raises(ImproperlyConfigured, match="NEWSDESK_LOGIN_LOCKOUT_BY"):
        conf.lockout_parameters(["password"])
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        conf.lockout_parameters([])


# --- login throttling --------------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_locks_out_after_failures_then_works_after_cool_off(
    client, django_user_model, settings
):
    django_user_model.objects.create_user(
        "editor", password="right-password", is_staff=True
    )
    limit = settings.AXES_FAILURE_LIMIT

    def log_in(password: str, ip: str = "203.0.113.7"):
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": "editor", "password": password},
            REMOTE_ADDR=ip,
        )

    for _ in range(limit - 1):
        response = log_in("wrong")
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in client.session
    assert log_in("wrong").status_code == 429  # the limit-th failure locks

    # Locked: the right password is refused too, from this address and for
    # this user name from another address.
    assert log_in("right-password").status_code == 429
    assert log_in("right-password", ip="198.51.100.9").status_code == 429
    assert "_auth_user_id" not in client.session

    # After the cool-off the right password works again.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * 2
    )
    response = log_in("right-password")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_locked_out_login_works_again_after_reset(client, django_user_model, settings):
    from django.core.management import call_command

    django_user_model.objects.create_user("chief", password="pw-chief", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "chief", "password": "no"})
    locked = client.post("/admin/login/", {"username": "chief", "password": "pw-chief"})
    assert locked.status_code == 429
    call_command("axes_reset_username", "chief", verbosity=0)
    call_command("axes_reset_ip", "127.0.0.1", verbosity=0)
    ok = client.post("/admin/login/", {"username": "chief", "password": "pw-chief"})
    assert ok.status_code == 302


# --- the CSP in Chromium ------------------------------------------------------------

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.violatedDirective} blocked=${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_on_reader_pages_and_admin_in_chromium(
    live_server, tree, make_article, django_user_model
):
    require(os.path.exists(CHROMIUM), "chromium is missing (apt-get install chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # sync Playwright beside the ORM
    from playwright.sync_api import sync_playwright

    for i in range(4):
        make_article(tree["finance"], age_hours=i + 2, headline=f"Markets day {i}")
    story = make_article(
        tree["finance"],
        headline="Central bank holds rates",
        body="<p>Rates held.</p>",
    )
    django_user_model.objects.create_superuser("boss", "b@example.com", "pw-boss-1")

    console: list[str] = []
    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        context.add_init_script(COLLECT_VIOLATIONS)
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                console.append(m.text)
                if re.search(r"Content.Security.Policy|Permissions.Policy", m.text)
                else None
            ),
        )

        def visit(path: str | None = None) -> None:
            if path is not None:
                page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            seen.extend(f"{page.url}: {v}" for v in page.evaluate("window.__csp"))

        visit("/")
        visit(tree["business"].get_absolute_url())
        visit(story.get_absolute_url())
        page.get_by_role("button", name=re.compile("Good")).first.click()
        visit()
        visit("/search/?q=rates")
        visit("/reader/")
        visit("/missing-page/")

        visit("/admin/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "pw-boss-1")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        visit()
        visit("/admin/news/article/")
        page.check("#action-toggle")
        visit()
        visit(f"/admin/news/article/{story.pk}/change/")
        page.click("#id_category + .select2 .select2-selection")  # autocomplete
        page.wait_for_selector(".select2-results__option")
        page.keyboard.press("Escape")
        page.locator(".datetimeshortcuts a", has_text="Today").first.click()
        page.locator(".datetimeshortcuts .date-icon").first.click()  # calendar
        visit()
        visit("/admin/news/article/add/")
        page.locator("#id_headline").press_sequentially("A fresh headline")
        assert page.input_value("#id_slug") == "a-fresh-headline"
        visit()
        visit("/admin/news/category/add/")

        assert seen == [], seen
        assert console == [], console

        # The detector itself: an inline style is reported.
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', "
            "'<p style=\"color:red\">x</p>')"
        )
        page.wait_for_function("window.__csp.length > 0")
        browser.close()


# --- production settings, the TLS proxy, deploy samples ------------------------------


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    documented = (REPO / "docs" / "operators.md").read_text()
    env = production_env()
    assert env, "deploy/newsdesk.env sets the production settings"
    for name, value in env.items():
        assert f"{name}={value}" in documented, f"{name} is in docs/operators.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsdesk",
            "check",
            "--deploy",
            "--fail-level",
            "DEBUG",
        ],
        env=newsdesk_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


def test_check_deploy_warns_without_them(tmp_path):
    """The clean result above comes from the settings, not from a silenced check."""
    env = newsdesk_env(tmp_path, NEWSDESK_HSTS_SECONDS="0", NEWSDESK_SSL_REDIRECT="0")
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def nginx_site(upstream_port: int, http_port: int, https_port: int, tmp: Path) -> str:
    """deploy/nginx.conf with this machine's ports and a throwaway certificate."""
    site = (DEPLOY / "nginx.conf").read_text()
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(tmp / "key.pem"),
         "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/news.example.com/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/news.example.com/privkey.pem": str(tmp / "key.pem"),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx.conf no longer has {old!r}"
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(
        f"error_log {tmp}/error.log;\npid {tmp}/nginx.pid;\n"
        f"events {{}}\nhttp {{\n  access_log off;\n  include {tmp}/site.conf;\n}}\n"
    )
    return str(main)


def test_nginx_sample_config_is_valid(tmp_path):
    require(os.path.exists(NGINX), "nginx is missing (apt-get install nginx)")
    require(OPENSSL is not None, "openssl is missing (apt-get install openssl)")
    main = nginx_site(8000, 80, 443, tmp_path)
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", main],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@dataclass
class ProxiedSite:
    app_port: int
    http_port: int
    https_port: int


@contextmanager
def nginx_in_front(
    tmp_path: Path, *, bind: str = "", **overrides: str
) -> Iterator[ProxiedSite]:
    """A migrated newsdesk `serve` behind the shipped deploy/nginx.conf (TLS with
    a throwaway certificate); `bind` makes nginx reach the app from that
    address. Both processes are stopped on exit."""
    require(os.path.exists(NGINX), "nginx is missing (apt-get install nginx)")
    require(OPENSSL is not None, "openssl is missing (apt-get install openssl)")
    proxy = tmp_path / "nginx"
    proxy.mkdir()
    env = newsdesk_env(
        tmp_path / "data", NEWSDESK_ALLOWED_HOSTS="127.0.0.1", **overrides
    )
    subprocess.run(
        [sys.executable, "-m", "newsdesk", "migrate", "--noinput", "-v", "0"],
        env=env, check=True, timeout=300,
    )  # fmt: skip
    site = ProxiedSite(free_port(), free_port(), free_port())
    main = nginx_site(site.app_port, site.http_port, site.https_port, proxy)
    if bind:
        conf = (proxy / "site.conf").read_text()
        conf = conf.replace(
            "proxy_pass http://newsdesk;",
            f"proxy_pass http://newsdesk;\nproxy_bind {bind};",
        )
        (proxy / "site.conf").write_text(conf)
    app = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "serve", "--port", str(site.app_port),
         "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    nginx = subprocess.Popen(
        [NGINX, "-p", str(proxy), "-e", str(proxy / "error.log"), "-c", main,
         "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(site.app_port, app)
        wait_for_port(site.https_port, nginx)
        yield site
    finally:
        for process in (nginx, app):
            process.terminate()
        for process in (nginx, app):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_https_through_nginx_is_served_not_redirected(tmp_path):
    """Behind the proxy, NEWSDESK_SSL_REDIRECT=1 must not 301 https requests to
    themselves: the proxy's X-Forwarded-Proto is trusted. Direct http still 301s.
    Purge tags stop at the proxy."""
    with nginx_in_front(tmp_path) as site:
        tls = ssl._create_unverified_context()  # noqa: S323 - our throwaway cert

        def get(conn: http.client.HTTPConnection, path: str, headers=None):
            conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
            response = conn.getresponse()
            response.read()
            return response

        via_proxy = http.client.HTTPSConnection(
            "127.0.0.1", site.https_port, context=tls, timeout=30
        )
        for path in ("/", "/admin/login/"):
            response = get(via_proxy, path)
            assert response.status == 200, (path, response.status)
            assert response.getheader("Strict-Transport-Security") == (
                "max-age=31536000; includeSubDomains; preload"
            )
            assert "default-src 'self'" in response.getheader("Content-Security-Policy")
        cookie = response.getheader("Set-Cookie")
        assert "csrftoken=" in cookie and "Secure" in cookie
        # The purge tags (X-Cache-Tags) are for caches: nginx keeps them from
        # readers, as deploy/varnish.vcl does; the app behind it sends them.
        home = get(via_proxy, "/")
        assert home.status == 200 and home.getheader("X-Cache-Tags") is None
        behind = get(
            http.client.HTTPConnection("127.0.0.1", site.app_port, timeout=30),
            "/",
            headers={"X-Forwarded-Proto": "https"},
        )
        assert behind.status == 200 and ",home," in behind.getheader("X-Cache-Tags")

        plain = get(
            http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30), "/"
        )
        assert plain.status == 301
        assert plain.getheader("Location").startswith("https://127.0.0.1")

        # Straight to the app without the proxy's header: plain http, redirected.
        direct = get(
            http.client.HTTPConnection("127.0.0.1", site.app_port, timeout=30), "/"
        )
        assert direct.status == 301
        assert direct.getheader("Location") == "https://127.0.0.1/"
        assert direct.getheader("Strict-Transport-Security") is None


@pytest.mark.parametrize("unit", ["newsdesk.service", "newsdesk-worker.service"])
def test_systemd_units_are_valid(tmp_path, unit):
    text = (DEPLOY / unit).read_text()
    # The paths of a real installation, replaced by ones that exist here.
    text = text.replace("/opt/newsdesk/.venv/bin/python", sys.executable)
    text = text.replace("/opt/newsdesk", str(REPO))
    text = text.replace("/etc/newsdesk/env", str(DEPLOY / "newsdesk.env"))
    path = tmp_path / unit
    path.write_text(text)

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    assert set(parser.sections()) == {"Unit", "Service", "Install"}
    service = parser["Service"]
    assert service["ExecStart"].split()[:3] == [sys.executable, "-m", "newsdesk"]
    assert service["User"] == "newsdesk" and service["StateDirectory"] == "newsdesk"
    assert "newsdesk.env" in service["EnvironmentFile"]
    assert parser["Install"]["WantedBy"] == "multi-user.target"

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return  # the structural checks above are what this machine can do
    result = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    ours = [line for line in result.stderr.splitlines() if unit in line]
    assert result.returncode == 0 and ours == [], result.stderr

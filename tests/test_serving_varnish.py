"""The purge backend against a real Varnish running deploy/varnish.vcl.

Varnish (Debian's `varnish`) is started here on a free port, in front of the
live test server; .ci/run installs it, and a missing varnishd fails in CI.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsdesk.news import actions
from tests.conftest import REPO, require

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def varnish(live_server, settings):
    require(shutil.which("varnishd") is not None, "varnishd is not installed")
    backend = urlsplit(live_server.url).port
    vcl = (REPO / "deploy" / "varnish.vcl").read_text()
    assert '.port = "8000";' in vcl
    # Varnish drops privileges: a folder its users can read, not pytest's 0700 one.
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-varnish-"))
    folder.chmod(0o755)
    (folder / "newsdesk.vcl").write_text(
        vcl.replace('.port = "8000";', f'.port = "{backend}";')
    )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            "varnishd",
            "-F",
            "-n",
            str(folder / "work"),
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(folder / "newsdesk.vcl"),
            "-s",
            "malloc,32m",
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"varnishd exited: {process.stdout.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("varnishd did not start listening")
                time.sleep(0.1)
        settings.NEWSDESK_PURGE_BACKEND = "newsdesk.cache.purge.HttpBanPurger"
        settings.NEWSDESK_PURGE_URLS = [url]
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def get(url, *, cookie=""):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


@pytest.fixture
def content(tree, make_article):
    climate = actions.get_or_create_tags(["Climate"])[0]
    for i in range(4):
        make_article(tree["world"], age_hours=3 + i)
    story = make_article(tree["finance"], headline="Markets rally", age_hours=0.5)
    actions.do_save_article(story, tags=[climate])
    return {"story": story, "tag": climate}


def test_varnish_serves_hits_and_bans_by_tag(varnish, content):
    story = content["story"]
    page = varnish + story.get_absolute_url()
    status, headers, first = get(page)
    assert status == 200 and headers["X-Cache"] == "MISS"
    # Every reader shares the copy: their cookies do not split the cache.
    status, headers, again = get(page, cookie="newsdesk_reader=abc; csrftoken=x")
    assert headers["X-Cache"] == "HIT" and again == first
    assert "X-Cache-Tags" not in headers  # internal
    for url in ("/", "/business/", "/world/", f"/tag/{content['tag'].slug}/"):
        get(varnish + url)
        assert get(varnish + url)[1]["X-Cache"] == "HIT", url

    story.headline = "Markets rally for a second day"
    actions.do_save_article(story)  # commits: article_changed -> BAN

    status, headers, body = get(page)
    assert headers["X-Cache"] == "MISS" and b"second day" in body
    for url in ("/", "/business/", f"/tag/{content['tag'].slug}/"):
        status, headers, body = get(varnish + url)
        assert headers["X-Cache"] == "MISS" and b"second day" in body, url
    # A section that does not list the article keeps its copy.
    assert get(varnish + "/world/")[1]["X-Cache"] == "HIT"


def test_varnish_passes_per_reader_endpoints_and_refuses_bad_bans(varnish, content):
    story = content["story"]
    state = varnish + f"/engagement/state/{story.pk}"
    get(state)
    assert get(state)[1]["X-Cache"] == "MISS"
    request = urllib.request.Request(
        varnish + "/", method="BAN", headers={"X-Ban-Tags": ".*"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400

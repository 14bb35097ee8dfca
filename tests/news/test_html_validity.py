"""The Nu HTML Checker (vnu-jar, the W3C validator) finds no errors in our pages."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from newsdesk.news.actions import get_or_create_tags
from tests.conftest import REPO, require

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

pytestmark = pytest.mark.django_db


def test_pages_pass_the_nu_html_checker(client, tree, ap, make_article, tmp_path):
    require(VNU.exists(), f"{VNU} is missing: run `make tools` (needs npm)")
    require(
        shutil.which("java") is not None,
        "java is missing (apt-get install openjdk-17-jre-headless)",
    )
    article = make_article(
        tree["finance"],
        headline="Talks & <progress>",
        source=ap,
        dateline="BEIJING",
        byline="A Reporter",
        standfirst="Standfirst.",
        body="<p>Body <a href='https://example.com/x'>link</a></p><blockquote>Q</blockquote>",
        original_published_at=None,
    )
    article.tags.set(get_or_create_tags(["Fentanyl"]))
    for i in range(4):
        make_article(tree["finance"], age_hours=i + 2)
        make_article(tree["world"], age_hours=i + 2)
    pages = {
        "home": "/",
        "category": "/business/",
        "article": article.get_absolute_url(),
        "tag": "/tag/fentanyl/",
        "search": "/search/?q=talks",
        "notfound": "/no-such-section/",
    }
    files = []
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code in (200, 404), url
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files.append(str(path))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
    ]
    assert errors == []

"""The research evaluations live outside the site's runtime path
(`newsdesk_evaluation`, `evaluation` extra): the site never imports them, and
`evaluate` names the extra when its dependencies are missing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

# scipy itself is loaded at runtime by datasketch (a dependency of its own).
RUNTIME_IMPORTS = """
import importlib, pkgutil, sys
import django
django.setup()
import newsdesk, newsdesk.urls, newsdesk.wsgi
for info in pkgutil.walk_packages(newsdesk.__path__, "newsdesk."):
    if ".migrations" in info.name or info.name.endswith("__main__"):
        continue
    importlib.import_module(info.name)
bad = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("newsdesk_evaluation", "sklearn")
)
assert not bad, bad
print("ok")
"""


def test_the_site_imports_no_evaluation_code():
    result = subprocess.run(
        [sys.executable, "-c", RUNTIME_IMPORTS],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


RELATED_DATA = Path(__file__).parent / "testdata" / "related" / "mini.jsonl"


@pytest.mark.parametrize(
    ("missing", "args"),
    [
        # Imported with the evaluation module: the command cannot even list it.
        ("scipy", ["recommend", "--mind", "x"]),
        # Imported by a baseline when it runs.
        ("sklearn", ["related", "--data", str(RELATED_DATA)]),
    ],
)
def test_evaluate_names_the_extra_when_its_dependencies_are_missing(
    monkeypatch, missing, args
):
    # None in sys.modules makes `import <missing>` raise ImportError, as on a
    # site installed without the extra.
    monkeypatch.setitem(sys.modules, missing, None)
    for name in [
        m for m in sys.modules if m.startswith(("newsdesk_evaluation", missing + "."))
    ]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(CommandError, match=r"newsdesk\[evaluation\]"):
        call_command("evaluate", *args, stdout=io.StringIO(), stderr=io.StringIO())

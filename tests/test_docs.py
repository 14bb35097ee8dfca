"""Documentation is part of the product: every setting and command is documented."""

from __future__ import annotations

import re

from tests.conftest import REPO

DOCS = "\n".join(p.read_text() for p in sorted((REPO / "docs").glob("*.md")))


def test_every_setting_is_documented():
    settings_py = (REPO / "newsdesk" / "settings.py").read_text()
    names = set(re.findall(r'env_\w+\(\s*"(NEWSDESK_\w+)"', settings_py))
    assert names, "settings are read with newsdesk.conf helpers"
    missing = sorted(n for n in names if f"`{n}`" not in DOCS)
    assert missing == [], f"document these in docs/*.md: {missing}"


def test_every_cli_command_is_documented():
    commands = sorted(
        p.stem
        for p in (REPO / "newsdesk").glob("*/management/commands/*.py")
        if not p.stem.startswith("_")
    )
    assert "serve" in commands
    missing = [c for c in commands if f"python -m newsdesk {c}" not in DOCS]
    assert missing == [], f"document these commands in docs/*.md: {missing}"


def test_readme_quick_start_is_two_commands():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quick start\n+```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert block, "README has a Quick start code block"
    assert block.group(1).split("\n")[:2] == ["make demo", "make test"]

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


def _documented_defaults() -> dict[str, str]:
    """{setting: its Default cell} from every settings table in docs/*.md."""
    rows = re.findall(r"^\| `(NEWSDESK_\w+)` \| ([^|]*) \|", DOCS, re.M)
    return {name: cell.strip() for name, cell in rows}


def _real_defaults(names) -> dict:
    """The values newsdesk/settings.py gives `names` with no NEWSDESK_* variable
    set (a fresh interpreter: settings are read once, at import)."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    code = (
        "import json, sys; import newsdesk.settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in sys.argv[1:] if hasattr(s, n)}, "
        "default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *sorted(names)],
        env=env, cwd=REPO, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


def _same(documented: str, real) -> bool:
    if isinstance(real, bool):
        return documented.lower() in (
            ("true", "on", "1", "yes") if real else ("false", "off", "0", "no")
        )
    if isinstance(real, int | float):
        try:
            return float(documented) == float(real)
        except ValueError:
            return False
    if isinstance(real, list):  # sets come sorted
        return documented == ",".join(map(str, real))
    return documented == str(real)


def test_documented_defaults_are_the_real_ones():
    """A Default cell that names a value (`10`, `true`, `http://...`, or "empty")
    must be what settings.py uses when the variable is unset. Cells in words
    ("by database", "a short line") are left to the reader."""
    documented = _documented_defaults()
    real = _real_defaults(documented)
    checked, wrong = 0, []
    for name, cell in sorted(documented.items()):
        if name not in real:  # read into another setting (DATABASES, CACHES...)
            continue
        value = real[name]
        if cell.lower() == "empty":
            checked += 1
            if value not in ("", [], None):
                wrong.append(f"{name}: documented empty, is {value!r}")
            continue
        literal = re.match(r"`([^`]*)`", cell)
        if literal is None:
            continue
        checked += 1
        if not _same(literal.group(1), value):
            wrong.append(f"{name}: documented {literal.group(1)!r}, is {value!r}")
    assert wrong == [], "\n".join(wrong)
    assert checked >= len(documented) // 2, (checked, len(documented))

"""Mapping rules: which section an item goes to, from its feed categories or words.

Pure: no Django. A feed's rules are text, one a line, so editors write them in the
admin without a form per rule:

    category: Sports => sport
    keyword: election => politics/elections
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RULE = re.compile(r"^\s*(category|keyword)\s*:\s*(.+?)\s*=>\s*(\S+)\s*$", re.I)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # "category" or "keyword"
    term: str  # casefolded
    path: str  # target section path, e.g. world/europe


def parse_rules(text: str) -> list[Rule]:
    """Rules from `text`; raises ValueError naming the first bad line."""
    rules = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _RULE.match(line)
        if not match:
            raise ValueError(
                f"rule line {number} ({line.strip()!r}) is not "
                "“category: NAME => path” or “keyword: WORD => path”"
            )
        kind, term, path = match.groups()
        rules.append(Rule(kind.lower(), term.casefold(), path.strip("/")))
    return rules


def match_path(
    rules: list[Rule], *, categories: tuple[str, ...], text: str
) -> str | None:
    """The section path for an item, or None.

    Category rules go first, in the item's own category order (feeds list the
    primary category first); then keyword rules, in rule order.
    """
    by_category: dict[str, str] = {}
    for rule in rules:
        if rule.kind == "category":
            by_category.setdefault(rule.term, rule.path)
    for name in categories:
        if name.casefold() in by_category:
            return by_category[name.casefold()]
    words: set[str] | None = None
    for rule in rules:
        if rule.kind == "keyword":
            if words is None:
                words = {w.casefold() for w in _WORD.findall(text)}
            if all(part in words for part in rule.term.split()):
                return rule.path
    return None

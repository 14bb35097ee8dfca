"""Story parents can never form a cycle, whatever edits and deletes do (issue 14.3).

Each walk runs in a thread with a deadline: on the old engine these calls never
returned (a parent cycle spun `story_of` at 100% CPU), so a hang is a failure here,
not a stuck test run.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from newsdesk.discovery.engines.related import Article, RelatedEngine

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
DEADLINE = 10.0


def quake(id, days, extra=""):
    return Article(
        id=id,
        title=f"Earthquake of magnitude 6.1 hits Lima, Peru {extra}".strip(),
        body="A strong earthquake shook Lima, damaging buildings in the Peruvian "
        "capital and cutting power to thousands of homes; rescuers searched the "
        f"rubble. {extra}",
        category="world",
        published=T0 + timedelta(days=days),
    )


def within_deadline(fn, *args):
    """fn(*args), or a test failure if it has not returned after DEADLINE s."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # re-raised in the test thread
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    assert not thread.is_alive(), f"{fn.__name__}{args} did not return: a cycle"
    if "error" in out:
        raise out["error"]
    return out["value"]


def assert_acyclic(engine):
    for article_id in engine.ids():
        root = within_deadline(engine.story_of, article_id)
        assert root in engine
        members = within_deadline(engine.story_members, article_id)
        assert article_id in members and root in members


def test_moving_a_story_start_after_its_follow_up():
    engine = RelatedEngine()
    engine.add(quake("first", 0))
    engine.add(quake("second", 0.3, "aftershocks"))
    assert engine.story_of("second") == "first"
    # An editor corrects the first report's time to after the second one.
    engine.update(quake("first", 2))
    assert_acyclic(engine)
    assert engine.story_of("first") == engine.story_of("second")


def test_a_slot_reused_after_a_delete():
    engine = RelatedEngine()
    engine.add(quake("a", 0))
    engine.add(quake("b", 1, "rescue"))
    assert engine.story_of("b") == "a"
    engine.remove("a")
    # The new article takes the deleted article's slot, later than "b".
    engine.add(quake("c", 2, "toll"))
    assert_acyclic(engine)
    assert engine.story_of("c") == engine.story_of("b") == "b"


def test_many_edits_and_deletes_stay_acyclic():
    engine = RelatedEngine()
    for i in range(12):
        engine.add(quake(i, i * 0.25, f"report {i}"))
    for step in range(40):
        victim = (step * 7) % 12
        if step % 3 == 0:
            engine.remove(victim)
            engine.add(quake(100 + step, 5 - step * 0.1, f"late {step}"))
        else:
            engine.update(quake(victim, (step * 5 % 11) * 0.4, f"edit {step}"))
        assert_acyclic(engine)


def test_a_saved_index_keeps_its_stories_acyclic():
    engine = RelatedEngine()
    engine.add(quake("first", 0))
    engine.add(quake("second", 0.3, "aftershocks"))
    engine.update(quake("first", 2))
    loaded = RelatedEngine.from_bytes(engine.to_bytes())
    assert_acyclic(loaded)

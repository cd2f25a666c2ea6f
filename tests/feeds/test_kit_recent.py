"""A bounded memory forgets the key set longest ago, never more than it must."""

from __future__ import annotations

from feeds.kit.recent import Recent


def test_recent_forgets_the_oldest_set_key_beyond_its_limit() -> None:
    memory: Recent[str, int] = Recent(2)
    assert memory.remember("a", 1) is None and memory.remember("b", 2) is None
    assert memory.remember("a", 3) is None, "setting a again makes it the newest"
    assert memory.remember("c", 4) == "b", "b was set longest ago"
    assert list(memory.items()) == [("a", 3), ("c", 4)]

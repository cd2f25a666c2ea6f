"""A bounded memory: the most recently set keys are kept, the oldest forgotten beyond a limit."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(OrderedDict[K, V]):
    """A dict of at most `limit` keys, for what a long-running feed remembers per key."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: K, value: V) -> K | None:
        """Set `key` as the newest; the oldest key it pushed out of the limit, if any."""
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.limit:
            forgotten, _ = self.popitem(last=False)
            return forgotten
        return None

"""Helpers for adapter golden tests: run an adapter's pure `parse` on a saved fixture."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feeds import registry
from feeds.kit.base import FeedAdapter, Parsed, PollingFeed
from tests.conftest import feed_context

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECEIVED_AT = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)


def adapter(name: str, **config: Any) -> FeedAdapter:
    """An adapter instance as the server would build it (feed name = adapter name by default)."""
    return registry.load(name)(feed_context(name, **config))


def parse_fixture(name: str, relpath: str, **config: Any) -> Parsed:
    """Parse `tests/fixtures/<relpath>` with adapter `name`, received at RECEIVED_AT."""
    feed = adapter(name, **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse((FIXTURES / relpath).read_bytes(), received_at=RECEIVED_AT)


def json_values(text_size: int) -> Any:
    """Arbitrary small JSON values, for fuzzing adapters with damaged documents."""
    from hypothesis import strategies as st

    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=text_size),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    )


def json_paths(node: Any, *, items: int, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document (the first `items` of each list), the root included."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, items=items, prefix=(*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:items]):
            found += json_paths(value, items=items, prefix=(*prefix, index))
    return found


def damaged(document: Any, replacements: list[tuple[Any, Any]]) -> Any:
    """A deep copy of `document` with each path set to its value (paths an earlier
    replacement removed are skipped)."""
    import copy

    doc = copy.deepcopy(document)
    for path, value in replacements:
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@pytest.fixture(autouse=True)
def its_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key the shipped ITS CCTV configuration reads from the environment (a dummy)."""
    monkeypatch.setenv("ITS_API_KEY", "test-key-not-a-real-one")

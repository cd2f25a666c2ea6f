"""Text helpers: one reader for optional fields serves every adapter's variant of it."""

from __future__ import annotations

from typing import Any

import pytest

from feeds.kit import text_of


@pytest.mark.parametrize(
    ("value", "default", "strings_only", "with_booleans"),
    [
        ("  Main St ", "Main St", "Main St", "Main St"),
        (12, "12", "", "12"),
        (12.0, "12.0", "", "12.0"),
        (True, "", "", "true"),
        (False, "", "", "false"),
        (None, "", "", ""),
        ({"a": 1}, "", "", ""),
        ([1], "", "", ""),
    ],
)
def test_text_of_reads_a_scalar_field_as_each_adapter_needs(
    value: Any, default: str, strings_only: str, with_booleans: str
) -> None:
    assert text_of(value) == default, "open311, open511: strings and numbers"
    assert text_of(value, numbers=False) == strings_only, "wzdx, nws: strings only"
    assert text_of(value, booleans=True) == with_booleans, "mapping: booleans as words too"

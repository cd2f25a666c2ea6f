"""`finite_float`: the kit's one reader of numbers; NaN and infinities are bad values."""

from __future__ import annotations

from typing import Any

import pytest

from feeds.kit import FeedRejected, finite_float, latlon_pairs


@pytest.mark.parametrize(
    ("value", "number"), [("1.5", 1.5), (" -2 ", -2.0), (3, 3.0), (0.25, 0.25)]
)
def test_finite_numbers_are_read(value: Any, number: float) -> None:
    assert finite_float(value, field="radius") == number


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(value: Any) -> None:
    with pytest.raises(FeedRejected, match=r"radius .* is not a finite number"):
        finite_float(value, field="radius")


@pytest.mark.parametrize("value", ["", "abc", None, True, [1]])
def test_non_numbers_are_refused(value: Any) -> None:
    with pytest.raises(FeedRejected, match=r"radius .* is not a number"):
        finite_float(value, field="radius")


@pytest.mark.parametrize("pair", ["nan,10", "10,inf", "-Infinity,1"])
def test_latlon_pairs_refuse_non_finite_coordinates(pair: str) -> None:
    with pytest.raises(FeedRejected, match="is not a finite number"):
        latlon_pairs(f"1,2 {pair}", field="cap:polygon")

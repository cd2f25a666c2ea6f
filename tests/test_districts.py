"""Which district a point falls in: Seoul's bundled boundaries, and a bounded memory of answers."""

from __future__ import annotations

import random

import pytest

from server import districts as districts_module
from server.districts import Districts

CITY_HALL = (126.9780, 37.5665)  # Jung-gu
COEX = (127.0590, 37.5125)  # Gangnam-gu (Samseong-dong)
INCHEON_AIRPORT = (126.4407, 37.4602)  # outside Seoul


def test_points_fall_in_their_districts_and_outside_the_city_in_none() -> None:
    d = Districts.load()
    assert d.by_code[d.locate(*CITY_HALL) or ""].name_en == "Jung-gu"
    assert d.by_code[d.locate(*COEX) or ""].name_en == "Gangnam-gu"
    assert d.locate(*INCHEON_AIRPORT) is None


def test_remembered_answers_stay_right_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Feeds re-send the same positions every poll: the answer is remembered, within a bound."""
    monkeypatch.setattr(districts_module, "MAX_REMEMBERED_POINTS", 100)
    d = Districts.load()
    fresh = Districts.load()
    rng = random.Random(7)
    points = [(rng.uniform(126.76, 127.18), rng.uniform(37.43, 37.70)) for _ in range(300)]
    for lon, lat in points * 2:
        assert d.locate(lon, lat) == fresh._search(lon, lat)
        assert len(d._remembered) <= 100

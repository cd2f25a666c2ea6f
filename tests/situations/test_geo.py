"""The place arithmetic: the grid index never misses a neighbour, the nearest-first search finds
the nearest without measuring a crowd; hulls are hulls."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from server.situations import geo
from tests.situations.builders import offset

POINTS = st.tuples(st.floats(126.5, 127.5), st.floats(37.0, 38.0))


@settings(max_examples=200, deadline=None)
@given(st.lists(POINTS, min_size=1, max_size=60), POINTS, st.sampled_from([50.0, 300.0, 1500.0]))
def test_nearby_finds_every_point_within_reach(
    points: list[geo.LonLat], here: geo.LonLat, reach: float
) -> None:
    index = geo.Nearby(reach)
    for n, p in enumerate(points):
        index.add(f"p{n}", n, p, is_area=False)
    index.add("area", len(points), None, is_area=True)
    found = index.near(here, is_area=False)
    within = {f"p{n}" for n, p in enumerate(points) if geo.distance_m(here, p) <= reach}
    assert within <= set(found) and "area" in found
    assert found == sorted(found, key=index.order.__getitem__)
    index.remove("p0")
    assert "p0" not in index.near(here, is_area=True)


def nearest(index: geo.Nearest, here: geo.LonLat, points: dict[str, geo.LonLat]) -> list[str]:
    """What `_place` does: measure batch by batch until the floor passes the best gap (areas are
    not measured here); every id it looked at."""
    best: float | None = None
    seen: list[str] = []
    for floor, ids in index.nearest_first(here, is_area=False):
        if best is not None and floor > best:
            break
        seen.extend(ids)
        for id_ in (i for i in ids if i in points):
            gap = geo.distance_m(here, points[id_])
            if gap <= index.reach and (best is None or round(gap, 1) < best):
                best = round(gap, 1)
    return seen


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32),
    st.tuples(st.floats(-179.0, 179.0), st.floats(-89.0, 89.0)),
    st.integers(0, 300),
    st.sampled_from([50.0, 300.0, 1500.0]),
    st.sampled_from([0.1, 1.0, 3.0]),
)
def test_nearest_first_finds_the_nearest_and_every_tie(
    seed: int, centre: geo.LonLat, count: int, reach: float, spread: float
) -> None:
    rng = random.Random(seed)
    index = geo.Nearest(reach)
    points: dict[str, geo.LonLat] = {}
    for n in range(count):
        # on a 10 m lattice, so that equal gaps (ties) happen
        east, north = (round(rng.uniform(-spread, spread) * reach, -1) for _ in range(2))
        points[f"p{n}"] = offset(centre, east, north)
        index.add(f"p{n}", n, points[f"p{n}"], is_area=False)
    for n in range(0, count, 7):  # some leave again
        index.remove(f"p{n}")
        del points[f"p{n}"]
    index.add("area", count, None, is_area=True)
    east, north = (round(rng.uniform(-reach, reach), -1) for _ in range(2))
    here = offset(centre, east, north)
    gaps = {i: round(geo.distance_m(here, p), 1) for i, p in points.items()}
    within = {i: g for i, g in gaps.items() if geo.distance_m(here, points[i]) <= reach}
    everything = [i for _, ids in index.nearest_first(here, is_area=False) for i in ids]
    assert set(within) <= set(everything) and "area" in everything
    assert len(everything) == len(set(everything)) and set(everything) <= {*points, "area"}
    seen = nearest(index, here, points)
    if within:
        best = min(within.values())
        assert {i for i, g in within.items() if g == best} <= set(seen)
    floors = [f for f, _ in index.nearest_first(here, is_area=False)]
    assert floors == sorted(floors)


def test_a_point_beside_a_crowd_measures_a_few_of_it() -> None:
    centre = (126.97, 37.56)
    rng = random.Random(1)
    index = geo.Nearest(1500.0)
    points = {}
    for n in range(2000):  # a flood's members on a ~2 x 2 km patch
        points[f"p{n}"] = offset(centre, rng.uniform(-1000, 1000), rng.uniform(-1000, 1000))
        index.add(f"p{n}", n, points[f"p{n}"], is_area=False)
    # inside it, and outside with its nearest 1,460 m away (the rings end at reach, 1,500 m)
    for east, north in ((0, 0), (700, -300), (1300, 0), (0, 2450)):
        here = offset(centre, east, north)
        seen = nearest(index, here, points)
        assert 0 < len(seen) <= 100
        assert min(geo.distance_m(here, points[i]) for i in seen) == min(
            geo.distance_m(here, p) for p in points.values()
        )


def test_hull_of_a_square_with_a_point_inside() -> None:
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5)]
    assert geo.hull(square) == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    area = geo.area_geometry(geo.hull(square))
    assert area is not None and area["type"] == "Polygon" and len(area["coordinates"][0]) == 5
    assert geo.area_geometry([(1.0, 2.0)]) == {"type": "Point", "coordinates": [1.0, 2.0]}

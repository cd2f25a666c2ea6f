"""The place arithmetic: the grid index never misses a neighbour; hulls are hulls."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from server.situations import geo

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


def test_hull_of_a_square_with_a_point_inside() -> None:
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5)]
    assert geo.hull(square) == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    area = geo.area_geometry(geo.hull(square))
    assert area is not None and area["type"] == "Polygon" and len(area["coordinates"][0]) == 5
    assert geo.area_geometry([(1.0, 2.0)]) == {"type": "Point", "coordinates": [1.0, 2.0]}

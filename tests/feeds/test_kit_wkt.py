"""WKT and EWKT as GeoJSON (lon/lat): the legacy Open511 form writes its geometry this way."""

from __future__ import annotations

from typing import Any

import pytest

from feeds.kit import FeedRejected, wkt_geometry


@pytest.mark.parametrize(
    ("wkt", "geometry"),
    [
        ("POINT (1 2)", {"type": "Point", "coordinates": [1.0, 2.0]}),
        ("SRID=4326;POINT Z (1 2 3)", {"type": "Point", "coordinates": [1.0, 2.0, 3.0]}),
        ("linestring(1 2,3 4)", {"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
        (
            "POLYGON ((0 0, 1 0, 1 1, 0 0))",
            {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]},
        ),
        (
            "MULTIPOINT ((1 2), (3 4))",
            {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]},
        ),
        ("MULTIPOINT (1 2, 3 4)", {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
        (
            "MULTILINESTRING ((1 2, 3 4), (5 6, 7 8))",
            {
                "type": "MultiLineString",
                "coordinates": [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
            },
        ),
        ("POINT EMPTY", None),
    ],
)
def test_wkt(wkt: str, geometry: dict[str, Any] | None) -> None:
    assert wkt_geometry(wkt) == geometry


@pytest.mark.parametrize(
    "wkt",
    [
        "",
        "CIRCLE (1 2)",
        "POINT (1)",
        "POINT (1 2",
        "POINT 1 2",
        "LINESTRING (1 2, 3 x)",
        "POINT ((1 2))",
        "POINT (1 2) junk",
        "SRID=3857;POINT (1 2)",
        "POLYGON (0 0, 1 1)",
        "POINT (1 2,)",
    ],
)
def test_bad_wkt_is_rejected(wkt: str) -> None:
    with pytest.raises(FeedRejected):
        wkt_geometry(wkt)

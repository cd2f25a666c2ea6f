"""Projected coordinates (Korean TM, EPSG:5181, …) to WGS84 lon/lat, through pyproj."""

from __future__ import annotations

from collections.abc import Callable

from feeds.kit import ConfigError


def projector(source: str, crs: str) -> Callable[[float, float], tuple[float, float]]:
    """x, y in `crs` → lon, lat (WGS84); pyproj is imported only for feeds that need it."""
    try:  # imported here, lazily: pyproj is heavy and only a projected-CRS feed needs it
        from pyproj import Transformer
        from pyproj.exceptions import CRSError
    except ImportError:
        raise ConfigError(
            f"feed {source!r}: crs = {crs!r} needs pyproj to reproject coordinates; install it "
            "with `pip install pyproj`"
        ) from None
    try:
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except CRSError as exc:
        raise ConfigError(f"feed {source!r}: crs = {crs!r} is not a known CRS: {exc}") from None

    def project(x: float, y: float) -> tuple[float, float]:
        lon, lat = transformer.transform(x, y)
        return float(lon), float(lat)

    return project

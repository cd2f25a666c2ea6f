"""Declarative mapping: a city API that follows no standard, described in TOML instead of code.

The options say where the list of items is (a dotted path in JSON, or the rows of a CSV) and, for
each event field, which source field (a dotted path), which joined fields, or which template
(`"{acc_type} {acc_info}"`) fills it; values are translated through small tables (category,
severity, status). Times in a fixed pattern, epoch numbers or ISO 8601; naive times are read in the
feed's `timezone`. Coordinates in a projected CRS (Korean TM, EPSG:5181) are reprojected to WGS84
with pyproj, imported only when a feed needs it. Region names become districts. Shipped examples
for Korean sources are in `feeds/configs/` and described in `docs/korean-sources.md`.
"""

from feeds.mapping.feed import MappingFeed
from feeds.mapping.options import MappingOptions

__all__ = ["MappingFeed", "MappingOptions"]

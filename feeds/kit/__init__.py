"""The adapter kit: everything a feed adapter may depend on, in one public place.

An adapter (built in under `feeds/<name>/`, or a third-party package found through the
`cityboard.feeds` entry points) imports from `feeds.kit` only: the contract (`PollingFeed`,
`FeedAdapter`, `Parsed`, ...), the shared helpers for times, text, JSON, geometry, districts and
events, and the pieces of the server it needs (the event model, its limits, the feed errors).
Format-specific helpers are public submodules of the kit: `feeds.kit.xml` (the only safe way to
parse XML) and `feeds.kit.cap` (the CAP vocabulary that every CAP reader shares). Nothing else of
cityboard (the runner, the registry, the server, another adapter) is an adapter's business.
"""

from feeds.kit.base import (
    FeedAdapter,
    FeedConfig,
    FeedContext,
    FeedFiltered,
    FeedOptions,
    Manifest,
    Parsed,
    PollingFeed,
    UpdateModel,
    secondary,
)
from feeds.kit.events import expired_version, make_event, newest_per_event
from feeds.kit.geometry import (
    circle_polygon,
    geojson_geometry,
    georss_point,
    latlon_pairs,
    lonlat_point,
    ring_polygon,
)
from feeds.kit.gml import gml_geometry, lat_lon_positions
from feeds.kit.jsondoc import feature_collection, json_type, load_json
from feeds.kit.numbers import finite_float
from feeds.kit.places import districts_in_text
from feeds.kit.text import optional_text, optional_url, plain_text, text_of, title_text, web_url
from feeds.kit.times import (
    AmbiguousTime,
    FetchTimeFallback,
    NoTimeZone,
    UnreadableTime,
    from_epoch,
    parse_rfc822,
    parse_time,
    parse_time_format,
    parse_time_pattern,
    read_published_time,
    utc_offset_of,
    version_of,
)
from feeds.kit.wkt import wkt_geometry
from server.errors import ConfigError, FeedError, FeedRejected, FeedUnavailable
from server.stream.events import (
    CATEGORIES,
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_REFS,
    MAX_TITLE_CHARS,
    MAX_TRANSLATIONS,
    MAX_URL_CHARS,
    SEVERITY_RANK,
    Action,
    Event,
    Kind,
    Severity,
    Status,
    TimeBasis,
    iso_utc,
    utcnow,
)

__all__ = [
    "CATEGORIES",
    "LANG_PATTERN",
    "MAX_AREA_DESC_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_REFS",
    "MAX_TITLE_CHARS",
    "MAX_TRANSLATIONS",
    "MAX_URL_CHARS",
    "SEVERITY_RANK",
    "Action",
    "AmbiguousTime",
    "ConfigError",
    "Event",
    "FeedAdapter",
    "FeedConfig",
    "FeedContext",
    "FeedError",
    "FeedFiltered",
    "FeedOptions",
    "FeedRejected",
    "FeedUnavailable",
    "FetchTimeFallback",
    "Kind",
    "Manifest",
    "NoTimeZone",
    "Parsed",
    "PollingFeed",
    "Severity",
    "Status",
    "TimeBasis",
    "UnreadableTime",
    "UpdateModel",
    "circle_polygon",
    "districts_in_text",
    "expired_version",
    "feature_collection",
    "finite_float",
    "from_epoch",
    "geojson_geometry",
    "georss_point",
    "gml_geometry",
    "iso_utc",
    "json_type",
    "lat_lon_positions",
    "latlon_pairs",
    "load_json",
    "lonlat_point",
    "make_event",
    "newest_per_event",
    "optional_text",
    "optional_url",
    "parse_rfc822",
    "parse_time",
    "parse_time_format",
    "parse_time_pattern",
    "plain_text",
    "read_published_time",
    "ring_polygon",
    "secondary",
    "text_of",
    "title_text",
    "utc_offset_of",
    "utcnow",
    "version_of",
    "web_url",
    "wkt_geometry",
]

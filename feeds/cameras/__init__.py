"""A city's camera list (GeoJSON or CSV): one `camera` entry per camera, for the registry that
puts live CCTV beside incidents (docs/cameras.md). The list is the whole current set."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from feeds.kit import (
    Event,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    TimeBasis,
    feature_collection,
    geojson_geometry,
    json_type,
    lonlat_point,
    make_event,
    text_of,
    title_text,
    version_of,
)
from feeds.kit.camera import MEDIA_FIELDS, camera_media
from feeds.kit.csvdoc import CsvEncoding, csv_rows

CSV_REQUIRED = ("id", "lat", "lon")  # and one of MEDIA_FIELDS per row


class CamerasOptions(FeedOptions):
    """Settings under [feeds.options]; every one has a default."""

    format: Literal["auto", "geojson", "csv"] = Field(
        default="auto", description="auto: a document starting with '{' is GeoJSON, else CSV"
    )
    public: bool = Field(
        default=False, description="cameras that do not say are public (their URLs to viewers)"
    )
    csv_delimiter: str = Field(default=",", min_length=1, max_length=1)
    csv_encoding: CsvEncoding = "utf-8"


class CamerasFeed(PollingFeed):
    """One camera entry per feature or row: id, name, position and media URLs."""

    Options = CamerasOptions
    options: CamerasOptions

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A GeoJSON FeatureCollection of Points, or a CSV with id, name, lat, lon and URLs."""
        geojson = self.options.format == "geojson" or (
            self.options.format == "auto" and payload.lstrip()[:1] == b"{"
        )
        parsed = Parsed()
        if geojson:
            features = feature_collection(payload)
            for index, feature in enumerate(features):
                with parsed.item(_label(feature, index)) as dropped:
                    props, geometry = _feature(feature)
                    parsed.events.append(self._camera(props, geometry, received_at, dropped))
            return parsed.checked(len(features), "features")
        rows = csv_rows(
            payload,
            encoding=self.options.csv_encoding,
            delimiter=self.options.csv_delimiter,
            required=CSV_REQUIRED,
        )
        for row in rows:
            label = row[0] if isinstance(row, tuple) else f"camera {row['id'] or '?'}"
            with parsed.item(label) as dropped:
                if isinstance(row, tuple):
                    raise FeedRejected(row[1])
                geometry = lonlat_point(row["lon"], row["lat"], field="lon/lat")
                parsed.events.append(self._camera(row, geometry, received_at, dropped))
        return parsed.checked(len(rows), "rows")

    def _camera(
        self,
        props: dict[str, Any],
        geometry: dict[str, Any] | None,
        received_at: datetime,
        dropped: list[str],
    ) -> Event:
        external_id = text_of(props.get("id")).strip()
        if not external_id:
            raise FeedRejected("no id")
        if geometry is None or geometry.get("type") != "Point":
            raise FeedRejected("no position: a camera needs a Point (lon, lat)")
        name = text_of(props.get("name")).strip()
        if not name:
            dropped.append("name missing; the id names the camera")
        media = camera_media(
            {field: props.get(field) for field in MEDIA_FIELDS},
            public=props.get("public", self.options.public),
            refresh_seconds=props.get("refresh_seconds"),
            dropped=dropped,
        )
        return make_event(
            self.source,
            external_id,
            kind="camera",
            category="camera.cctv",
            severity="info",
            title=title_text(name, external_id),
            # a camera list carries no times: the fetch dates it, and the runner versions it
            # again only when something but our times changes
            sent_at=received_at,
            received_at=received_at,
            time_basis=TimeBasis.FETCHED,
            version=version_of(received_at),
            geometry=geometry,
            extra={"camera": media},
        )


def _feature(feature: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A feature's properties (with its own `id` when they have none) and its geometry."""
    if not isinstance(feature, dict):
        raise FeedRejected(f"a feature is a JSON {json_type(feature)}, not an object")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise FeedRejected(f"'properties' is a JSON {json_type(props)}, not an object")
    if props.get("id") in (None, "") and feature.get("id") not in (None, ""):
        props = {**props, "id": feature["id"]}
    return props, geojson_geometry(feature.get("geometry"))


def _label(feature: Any, index: int) -> str:
    """'camera <id>' for reasons when the id can be found, else 'feature #<index>'."""
    if isinstance(feature, dict):
        props = feature.get("properties")
        found = props.get("id") if isinstance(props, dict) else None
        text = text_of(found if found not in (None, "") else feature.get("id")).strip()
        if text:
            return f"camera {text[:60]}"
    return f"feature #{index}"

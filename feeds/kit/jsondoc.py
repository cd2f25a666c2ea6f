"""JSON documents from feeds: decoded safely, shapes checked, GeoJSON collections unwrapped."""

from __future__ import annotations

from typing import Any

import orjson

from server.errors import FeedRejected

_BOM = b"\xef\xbb\xbf"
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def load_json(payload: bytes, *, what: str = "JSON document") -> Any:
    """Decode a JSON body; empty, HTML, truncated or otherwise invalid bodies raise FeedRejected.

    A leading UTF-8 byte order mark is dropped (orjson refuses it). The caller still checks the
    shape (`isinstance(doc, dict)`): a bare string or number is valid JSON but no feed document.
    """
    body = payload[len(_BOM) :] if payload.startswith(_BOM) else payload
    head = body.lstrip()[:15].lower()
    if not head:
        raise FeedRejected(f"empty document (expected a {what})")
    if head.startswith(b"<"):
        kind = "an HTML page" if head.startswith((b"<!doctype html", b"<html")) else "XML"
        raise FeedRejected(f"got {kind}, expected a {what}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FeedRejected(f"not valid JSON ({what}): {exc}") from None


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type ('object', 'array', …) for error messages."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def feature_collection(payload: bytes) -> list[Any]:
    """The `features` of a GeoJSON FeatureCollection body; any other document raises FeedRejected.

    A missing top-level `type` is tolerated when `features` is a list; the items are not checked.
    """
    doc = load_json(payload, what="GeoJSON FeatureCollection")
    if not isinstance(doc, dict):
        raise FeedRejected(
            f"expected a GeoJSON FeatureCollection object, got a JSON {json_type(doc)}"
        )
    kind = doc.get("type", "FeatureCollection")
    if kind != "FeatureCollection":
        raise FeedRejected(f"expected a GeoJSON FeatureCollection, got type {str(kind)[:50]!r}")
    features = doc.get("features")
    if not isinstance(features, list):
        raise FeedRejected(
            f"the FeatureCollection's 'features' is a JSON {json_type(features)}, not an array"
        )
    return features

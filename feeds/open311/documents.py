"""GeoReport v2 request documents, JSON or XML: the request records, or a clear refusal.

A service list (`services.json|xml`), an error response or an HTML page is refused with a message
that says which it is.
"""

from __future__ import annotations

from typing import Any

from feeds.kit import FeedRejected, json_type, load_json, text_of
from feeds.kit.xml import local, parse_xml

REQUEST_KEYS = {"service_request_id", "requested_datetime", "status", "token"}
SERVICE_KEYS = {"service_code", "service_name", "metadata", "type", "keywords", "group"}


def requests(payload: bytes) -> list[Any]:
    """The request records of a GeoReport requests document, JSON or XML."""
    head = payload.removeprefix(b"\xef\xbb\xbf").lstrip()[:15].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise FeedRejected("got an HTML page, expected GeoReport v2 service requests")
    if head.startswith(b"<"):
        return _xml_requests(payload)
    doc = load_json(payload, what="GeoReport v2 service requests array")
    if isinstance(doc, dict):
        if isinstance(doc.get("service_requests"), list):  # an XML-shaped JSON wrapper
            doc = doc["service_requests"]
        elif "service_request_id" in doc:
            doc = [doc]
        elif SERVICE_KEYS & doc.keys():
            raise FeedRejected("this is a GeoReport service definition, not service requests")
        else:
            keys = ", ".join(sorted(str(k) for k in doc)[:5])
            raise FeedRejected(
                f"expected a JSON array of GeoReport service requests, got an object (keys: {keys})"
            )
    if not isinstance(doc, list):
        raise FeedRejected(
            f"expected a JSON array of GeoReport service requests, got a JSON {json_type(doc)}"
        )
    records = [d for d in doc if isinstance(d, dict)]
    if doc and not records:
        raise FeedRejected(
            f"expected an array of GeoReport service request objects, got an "
            f"array of {json_type(doc[0])}s"
        )
    if records and not any(REQUEST_KEYS & d.keys() for d in records):
        if all({"code", "description"} >= d.keys() and "code" in d for d in records):
            first = records[0]
            raise FeedRejected(
                f"GeoReport error response: {text_of(first.get('code'))} "
                f"{text_of(first.get('description'))[:200]}"
            )
        if any(SERVICE_KEYS & d.keys() for d in records):
            raise FeedRejected("this is a GeoReport service list, not service requests")
    return doc


def _xml_requests(payload: bytes) -> list[Any]:
    root = parse_xml(payload)
    name = local(root.tag)
    if name == "services":
        raise FeedRejected("this is a GeoReport service list, not service requests")
    if name in ("errors", "error"):
        first = root if name == "error" else next(iter(root), root)
        fields = {local(c.tag): (c.text or "").strip() for c in first}
        raise FeedRejected(
            f"GeoReport error response: {fields.get('code', '')} "
            f"{fields.get('description', '')[:200]}"
        )
    if name == "html":
        raise FeedRejected("got an HTML page, expected GeoReport v2 service requests")
    if name not in ("service_requests", "requests"):
        raise FeedRejected(
            f"expected <service_requests>, got <{name[:40]}>: not GeoReport v2 service requests"
        )
    return [
        {local(c.tag): (c.text or "").strip() for c in element}
        for element in root
        if local(element.tag) == "request"
    ]

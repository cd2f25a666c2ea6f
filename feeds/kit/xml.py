"""The only place cityboard parses XML: defusedxml with DTDs, entities and external references off.

A feed document is untrusted input. Billion-laughs, external entities (XXE) and oversized bodies
become `FeedRejected` with a clear reason, never a crash, a file read or a network fetch.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from server.errors import FeedRejected

XML_MAX_BYTES = 20 * 1024 * 1024  # a larger XML document is rejected before parsing


def parse_xml(payload: bytes, *, max_bytes: int = XML_MAX_BYTES) -> Element:
    """Parse bytes (so the XML declaration's encoding is honoured) into an element tree."""
    if len(payload) > max_bytes:
        raise FeedRejected(f"XML document is {len(payload)} bytes; the limit is {max_bytes}")
    if not payload.strip():
        raise FeedRejected("empty document")
    try:
        root: Element = fromstring(
            payload, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        return root
    except DefusedXmlException as exc:
        raise FeedRejected(f"unsafe XML refused ({type(exc).__name__}): {exc}") from None
    except ParseError as exc:
        raise FeedRejected(f"not well-formed XML: {exc}") from None
    except (LookupError, ValueError) as exc:  # e.g. an encoding declaration naming no encoding
        raise FeedRejected(f"unreadable XML: {exc}") from None


def namespace(tag: str) -> str:
    """An element's namespace URI, '' when it has none."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def local(tag: str) -> str:
    """An element's name without its namespace: `{urn:...}alert` → `alert`."""
    return tag.rsplit("}", 1)[-1]


def child(element: Element, name: str) -> Element | None:
    """The first direct child with this local name, in any namespace."""
    return next((c for c in element if local(c.tag) == name), None)


def children(element: Element, name: str) -> list[Element]:
    """All direct children with this local name, in any namespace."""
    return [c for c in element if local(c.tag) == name]


def text(element: Element | None, name: str | None = None) -> str:
    """Stripped text of `element` (or of its first child `name`); '' when absent."""
    if element is not None and name is not None:
        element = child(element, name)
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def find_all(element: Element, name: str) -> list[Element]:
    """All descendants with this local name, in any namespace, in document order."""
    return [e for e in element.iter() if local(e.tag) == name]

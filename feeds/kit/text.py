"""Text as the board shows it: HTML stripped, limits kept, optional fields and links read safely."""

from __future__ import annotations

import html
import re
from typing import Any

from feeds.kit.jsondoc import json_type
from server.stream.events import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS

_TAG = re.compile(r"<[^>]{0,1000}>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LINE_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_WEB_URL = re.compile(r"^https?://\S+$")


def plain_text(value: str | None, *, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    """Text as the board shows it: HTML tags removed, entities decoded, spaces tidied, capped."""
    if not value:
        return ""
    text = html.unescape(_TAG.sub(" ", _LINE_BREAK.sub("\n", value)))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def title_text(value: str | None, fallback: str = "") -> str:
    """A one-line title within the model's limit."""
    text = " ".join(plain_text(value, limit=10 * MAX_TITLE_CHARS).split()) or fallback
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def text_of(value: Any, *, numbers: bool = True, booleans: bool = False) -> str:
    """An optional scalar field as stripped text; '' for null, objects, arrays (and what is off).

    Numbers print as Python does (12 → '12', 12.0 → '12.0') unless `numbers` is off; booleans are
    '' unless `booleans` asks for 'true'/'false'.
    """
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return ("true" if value else "false") if booleans else ""
    if numbers and isinstance(value, int | float):
        return str(value)
    return ""


def optional_text(value: Any, field: str, dropped: list[str], *, numbers: bool = False) -> str:
    """An optional JSON text field (`text_of`); a value of another type (an object where text
    belongs) is dropped with a line in `dropped` naming `field`, where null is just absent."""
    found = text_of(value, numbers=numbers)
    if not found and value is not None and not isinstance(value, str):
        dropped.append(f"{field} is a JSON {json_type(value)}, not text; ignored")
    return found


def optional_url(value: Any, field: str, dropped: list[str]) -> str | None:
    """`web_url`, with a line in `dropped` naming `field` when a link was given but is unusable."""
    url = web_url(value)
    if url is None and value not in (None, ""):
        shown = repr(value[:60]) if isinstance(value, str) else f"(a JSON {json_type(value)})"
        dropped.append(f"{field} {shown} is not an http(s) link; ignored")
    return url


def web_url(value: Any) -> str | None:
    """An http(s) link the event model accepts, else None: a bad link should not cost the event."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    return link if len(link) <= MAX_URL_CHARS and _WEB_URL.match(link) else None

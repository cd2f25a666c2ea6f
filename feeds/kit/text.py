"""Text as the board shows it: HTML stripped, limits kept, optional fields and links read safely."""

from __future__ import annotations

import html
import re
from typing import Any

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


def web_url(value: Any) -> str | None:
    """An http(s) link the event model accepts, else None: a bad link should not cost the event."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    return link if len(link) <= MAX_URL_CHARS and _WEB_URL.match(link) else None

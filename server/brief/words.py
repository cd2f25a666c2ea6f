"""A briefing's words in Korean or English: the board's own (frontend/i18n, so a severity reads the
same on the wall and on paper) plus the briefing's (server/brief/i18n)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from server.errors import BriefError

LANGUAGES = ("ko", "en")
BOARD_WORDS = Path(__file__).resolve().parents[2] / "frontend" / "i18n"
BRIEF_WORDS = Path(__file__).with_name("i18n")


class Words:
    """Look-ups by dotted key, `{name}` filled in; a missing key shows itself, never fails."""

    def __init__(self, lang: str, table: dict[str, Any]) -> None:
        self.lang = lang
        self._table = table

    def __call__(self, key: str, **values: Any) -> str:
        found: Any = self._table
        for part in key.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if not isinstance(found, str):
            return key
        text: str = found
        for name, value in values.items():
            text = text.replace(f"{{{name}}}", str(value))
        return text

    def has(self, key: str) -> bool:
        """True when the key names a word (to fall back to the raw value otherwise)."""
        return self(key) != key


@cache
def words(lang: str) -> Words:
    """The words of one language; BriefError for a language the briefing is not written in."""
    if lang not in LANGUAGES:
        raise BriefError(f"the language must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    board = orjson.loads((BOARD_WORDS / f"{lang}.json").read_bytes())
    brief = orjson.loads((BRIEF_WORDS / f"{lang}.json").read_bytes())
    return Words(lang, {**board, "brief": brief})

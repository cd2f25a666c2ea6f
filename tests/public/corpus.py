"""The synthetic PII corpus (tests/fixtures/pii): complaints, the PII each holds, words to keep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "pii" / "corpus.jsonl"


def load() -> list[dict[str, Any]]:
    """Every case of the corpus."""
    return [orjson.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


CASES = load()
PII = sorted({p for case in CASES for p in case["pii"]})
KEEP = sorted({k for case in CASES for k in case["keep"]})


def leaks(text: str) -> list[str]:
    """The corpus's PII strings found in `text`."""
    return [p for p in PII if p in text]


def lost(text: str) -> list[str]:
    """The corpus's non-PII words missing from `text` (redaction must not blank everything)."""
    return [k for k in KEEP if k not in text]

"""Numbers from source text or JSON: NaN and infinities are bad values like any other.

`float()` reads "nan", "inf" and "-Infinity"; a reader that used it directly would let a NaN
coordinate or radius through to the event model. Read every number through `finite_float`.
"""

from __future__ import annotations

import math
from typing import Any

from server.errors import FeedRejected


def finite_float(value: Any, *, field: str = "number") -> float:
    """`value` (a number or numeric text) as a finite float, else FeedRejected naming `field`."""
    if isinstance(value, bool):
        raise FeedRejected(f"{field} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FeedRejected(f"{field} {str(value)[:30]!r} is not a number") from None
    if not math.isfinite(number):
        raise FeedRejected(f"{field} {str(value)[:30]!r} is not a finite number")
    return number

"""CAP adapter: OASIS CAP 1.2/1.1 alerts, EDXL-DE wrapped alerts, and ATOM/RSS indexes of CAP."""

from feeds.cap.feed import CapFeed
from feeds.cap.options import CapOptions

__all__ = ["CapFeed", "CapOptions"]

"""DATEX II adapter: situation publications (v2 `d2LogicalModel`, v3 `messageContainer`)."""

from feeds.datex2.feed import Datex2Feed

__all__ = ["Datex2Feed"]

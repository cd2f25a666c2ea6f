"""GTFS-realtime adapter: service alerts from a FeedMessage, binary protobuf or JSON."""

from feeds.gtfs_rt.feed import GtfsRtFeed, GtfsRtOptions

__all__ = ["GtfsRtFeed", "GtfsRtOptions"]

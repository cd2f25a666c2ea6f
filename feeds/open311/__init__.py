"""Open311 adapter: GeoReport v2 service requests (`GET requests.json|xml`) as complaints."""

from feeds.open311.feed import Open311Feed, Open311Options

__all__ = ["Open311Feed", "Open311Options"]

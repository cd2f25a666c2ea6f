"""Open511 adapter: road events from Open511 JSON and XML, and the legacy open511-server form.

All three shapes are read into one record (`record.py`) and mapped by one function (`events.py`),
so JSON, XML and legacy events cannot drift apart. Geometry: GeoJSON in JSON is lon/lat as given;
GML in XML follows its srsName's axis order (`feeds.kit.gml`); legacy WKT is lon/lat.
"""

from feeds.open511.feed import Open511Feed, Open511Options

__all__ = ["Open511Feed", "Open511Options"]

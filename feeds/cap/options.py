"""A `cap` feed's settings ([feeds.options]): which language leads, what is shown and fetched."""

from __future__ import annotations

from pydantic import Field

from feeds.kit import FeedOptions


class CapOptions(FeedOptions):
    """Settings under [feeds.options] for a `cap` feed."""

    language: str = Field(
        default="ko",
        pattern=r"^[A-Za-z]{2,3}$",
        description="info block shown as the title; others become translations",
    )
    include_non_actual: bool = Field(
        default=False, description="also show Exercise/Test/System/Draft alerts (title prefixed)"
    )
    include_restricted: bool = Field(
        default=False, description="also show scope Restricted/Private alerts"
    )
    follow_links: bool = Field(
        default=True,
        description="poll() fetches every entry's link, not only application/cap+xml, .cap, .xml",
    )
    max_linked_alerts: int = Field(
        default=200, ge=0, le=5000, description="linked CAP documents fetched per poll, at most"
    )
    link_hosts: tuple[str, ...] = Field(
        default=(),
        description="hosts whose linked alerts may be fetched; empty = only the index's own "
        "host (so a hostile index cannot make the server fetch internal URLs); '*' = any",
    )

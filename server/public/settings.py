"""What the citizens' board may show: the `[public]` table of the config (docs/public.md).

Every choice is a named setting, and the defaults are the cautious ones: a city widens what is
published on purpose, never by forgetting a line. The model is pure, for the redactor and the
server alike.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.stream.events import check_categories, check_kinds

COMPLAINT_DELAY_SECONDS = 30 * 60


class PublicSettings(BaseModel):
    """The redaction rules, the public stream's delays and the public socket's limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # derive the `public` stream and serve `/public`; off: neither exists
    enabled: bool = True
    # seconds after its live commit before an entry of a kind is published (missing kinds: 0):
    # a complaint seen at once could lead someone to the caller before the city acts
    delay_seconds: dict[str, float] = Field(
        default_factory=lambda: {"complaint": float(COMPLAINT_DELAY_SECONDS)}
    )
    # kinds, categories and sources that never leave the server on the public stream
    hidden_kinds: list[str] = Field(default_factory=lambda: ["camera", "call"])
    hidden_categories: list[str] = Field(default_factory=list)
    hidden_sources: list[str] = Field(default_factory=list)
    # kinds whose texts citizens write: scrubbed of phones, e-mails, ids, plates, addresses
    scrub_kinds: list[str] = Field(default_factory=lambda: ["complaint"])
    # sources whose texts are official announcements written for the public: not scrubbed
    # (names marked in extra.persons / extra.pii are removed all the same)
    trusted_sources: list[str] = Field(default_factory=list)
    # kinds whose position says where a person lives or stands: coarsened
    coarse_kinds: list[str] = Field(default_factory=lambda: ["complaint"])
    # how: "grid" snaps the point to a square grid of `grid_meters`; "district" keeps the
    # district only (no position at all)
    coarse_position: Literal["grid", "district"] = "grid"
    grid_meters: float = Field(default=250.0, ge=10.0, le=10_000.0)
    # of a coarsened or scrubbed kind, the `url` (it often names the person's own case page)
    # is dropped unless the kind is listed here, and `extra` keeps only these keys
    url_kinds: list[str] = Field(default_factory=list)
    extra_keys: list[str] = Field(default_factory=lambda: ["synthetic"])
    # entries waiting for their delay held in memory at most; past it the publisher stops
    # reading the live log until some are due (nothing is lost, the cursor waits)
    max_pending_entries: int = Field(default=100_000, ge=100)
    # the public socket: boards at once, and inbound messages per second (burst) per address
    ws_max_connections: int = Field(default=2_000, ge=1)
    ws_messages_per_second: float = Field(default=2.0, gt=0)
    ws_message_burst: int = Field(default=10, ge=1)
    # how long browsers and caches in front may reuse a public read (Cache-Control max-age)
    cache_max_age_seconds: int = Field(default=5, ge=0, le=3600)

    def for_boards(self) -> dict[str, Any]:
        """What the public board says of its rules, so an empty complaints column reads as
        "shown later", not "none": the delays in minutes and the grid complaints snap to."""
        return {
            "delay_minutes": {k: round(s / 60) for k, s in self.delay_seconds.items() if s > 0},
            "grid_meters": self.grid_meters if self.coarse_position == "grid" else None,
        }

    @field_validator("hidden_kinds", "scrub_kinds", "coarse_kinds", "url_kinds")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        check_kinds(v)
        return v

    @field_validator("delay_seconds")
    @classmethod
    def _known_delays(cls, v: dict[str, float]) -> dict[str, float]:
        check_kinds(v)
        if any(seconds < 0 for seconds in v.values()):
            raise ValueError("a delay is zero or more seconds")
        return v

    @field_validator("hidden_categories")
    @classmethod
    def _known_categories(cls, v: list[str]) -> list[str]:
        check_categories(v)
        return v

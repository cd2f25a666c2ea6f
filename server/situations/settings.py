"""How situations and complaint clusters form: the `[situations]` table of the config.

Every value is a named setting with its unit; docs/situations.md gives the reason behind each
default. The model is pure (no I/O), so the fold, the server and `cityboard brief` share it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.stream.events import check_categories

# Families of categories that are about one kind of real-world incident. An event groups only
# with events whose category shares a family with its own; a category may be in several.
DEFAULT_AFFINITY: list[list[str]] = [
    [  # water: rain, flood, storm surge and what they do to roads and basements
        "disaster.flood",
        "disaster.heavy_rain",
        "disaster.typhoon",
        "disaster.storm",
        "disaster.landslide",
        "traffic.closure",
        "traffic.weather",
        "traffic.hazard",
        "traffic.transit_disruption",
        "complaint.water",
        "complaint.road_damage",
        "complaint.safety",
    ],
    [  # fire, explosion, chemical release: smoke, closures, evacuations
        "disaster.fire",
        "disaster.wildfire",
        "disaster.explosion",
        "disaster.chemical",
        "disaster.building_collapse",
        "traffic.closure",
        "traffic.accident",
        "traffic.hazard",
        "complaint.odor",
        "complaint.safety",
    ],
    [  # ground shaking and what falls down
        "disaster.earthquake",
        "disaster.tsunami",
        "disaster.building_collapse",
        "disaster.landslide",
        "disaster.power_outage",
        "traffic.closure",
        "traffic.hazard",
        "traffic.transit_disruption",
        "complaint.road_damage",
        "complaint.safety",
    ],
    [  # snow and ice
        "disaster.snow",
        "disaster.cold",
        "traffic.weather",
        "traffic.closure",
        "traffic.accident",
        "traffic.hazard",
        "complaint.road_damage",
        "complaint.safety",
    ],
    [  # air: an advisory over a region draws what people smell, not the traffic beneath it
        "disaster.air_quality",
        "complaint.odor",
    ],
    [  # power and heat: outages, heat waves, lights out
        "disaster.power_outage",
        "disaster.heat",
        "traffic.transit_disruption",
        "complaint.streetlight",
        "complaint.safety",
    ],
]


class SituationSettings(BaseModel):
    """Grouping by place, time and category affinity, and the complaint clusters' shape."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # place: members of one situation lie within this distance of another member's point
    distance_m: float = Field(default=1500.0, gt=0, le=100_000)
    # time: an event groups with members whose own times are at most this far from its own
    window_minutes: float = Field(default=120.0, gt=0, le=7 * 24 * 60)
    # this many active complaints in a situation raise its severity one level
    complaint_volume_raise: int = Field(default=20, ge=1)
    affinity: list[list[str]] = Field(default_factory=lambda: [f[:] for f in DEFAULT_AFFINITY])
    # complaint clusters: N of one category within R metres and T minutes
    cluster_min: int = Field(default=5, ge=2, le=1000)
    cluster_radius_m: float = Field(default=300.0, gt=0, le=50_000)
    cluster_window_minutes: float = Field(default=60.0, gt=0, le=7 * 24 * 60)
    sparkline_buckets: int = Field(default=12, ge=1, le=120)

    @field_validator("affinity")
    @classmethod
    def _known_categories(cls, v: list[list[str]]) -> list[list[str]]:
        check_categories(c for family in v for c in family)
        return v

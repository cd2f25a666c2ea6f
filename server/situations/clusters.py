"""Complaint clusters, "what citizens are saying": N complaints of one category within R metres
and T minutes become one cluster whose count grows as more arrive.

Part of the situation book's fold (server/situations/book.py), so just as deterministic: times
are the complaints' own, the centre is the complaint that completed the cluster, and every
choice is made over insertion-ordered dicts with ties broken by order of arrival.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.situations import geo
from server.situations.members import Member, iso_of
from server.situations.settings import SituationSettings

MAX_CLUSTERS = 500  # kept at once; the least recently grown go first
MAX_CLUSTER_MEMBERS = 2_000  # complaint ids kept per cluster (the count goes on counting)
MAX_PENDING_COMPLAINTS = 5_000  # unclustered complaints kept as the seeds of later clusters
MAX_CLUSTER_MEMBERS_SHOWN = 200  # on the wire, newest first
CLUSTER_KEEP_SECONDS = 24 * 3600  # a cluster that has not grown for a day leaves the board


CLUSTER_PREFIX = "cluster:"


def cluster_id(founder: str) -> str:
    """The id of the cluster a complaint completed."""
    return f"{CLUSTER_PREFIX}{hashlib.sha256(founder.encode()).hexdigest()[:12]}"


@dataclass
class ComplaintCluster:
    """Complaints of one category around one spot."""

    id: str
    order: int
    category: str
    center: geo.LonLat
    district: str | None
    first: float
    last: float
    count: int = 0
    radius_m: float = 0.0
    members: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # each member's own time, for the sparkline
    # situation id -> how many of `members` it holds, kept as they move: the owner without a walk
    holders: dict[str, int] = field(default_factory=dict)


class Clusters:
    """The book's clusters and the unclustered complaints that may seed new ones."""

    def __init__(self, settings: SituationSettings) -> None:
        self.settings = settings
        self.radius = settings.cluster_radius_m
        self.window = settings.cluster_window_minutes * 60
        self.found: dict[str, ComplaintCluster] = {}
        self.near: dict[str, geo.Nearby] = {}  # category -> its clusters by centre
        self.listed: dict[str, str] = {}  # complaint id -> the cluster whose `members` names it
        self.pending: dict[str, geo.Nearby] = {}  # category -> unclustered complaints by place
        self.released: list[str] = []  # complaints no longer held, for the book's next prune
        self.now = 0.0
        self._founded = 0

    def get(self, id_: str) -> ComplaintCluster | None:
        return self.found.get(id_)

    def ids(self) -> list[str]:
        return list(self.found)

    def holds(self, event_id: str) -> bool:
        """Whether the book must keep this complaint because a cluster or a seed refers to it."""
        return event_id in self.listed or any(event_id in s.order for s in self.pending.values())

    def moved(self, event_id: str, old: str | None, new: str | None) -> None:
        """A complaint changed situation (or joined or left one): its cluster's holders follow."""
        cluster = self.found.get(self.listed.get(event_id, ""))
        if cluster is None or old == new:
            return
        if old is not None:
            cluster.holders[old] -= 1
            if not cluster.holders[old]:
                del cluster.holders[old]
        if new is not None:
            cluster.holders[new] = cluster.holders.get(new, 0) + 1

    def add(self, member: Member, events: Mapping[str, Member], *, is_new: bool) -> set[str]:
        """Take a complaint (or a newer version of one); the cluster ids it changed."""
        self.now = max(self.now, member.end)
        if not is_new:
            if member.cluster is not None:
                return {member.cluster}
            if not member.active and member.category in self.pending:
                self.pending[member.category].remove(member.event_id)
                self.released.append(member.event_id)
            return set()
        if not member.active or member.point is None:
            return set()
        best: tuple[float, int, ComplaintCluster] | None = None
        nearby = self.near.setdefault(member.category, geo.Nearby(self.radius))
        for found_id in nearby.near(member.point, is_area=False):
            cluster = self.found[found_id]
            if not cluster.first - self.window <= member.start <= cluster.last + self.window:
                continue
            gap = geo.distance_m(cluster.center, member.point)
            if gap <= self.radius and (best is None or (gap, cluster.order) < best[:2]):
                best = (gap, cluster.order, cluster)
        if best is not None:
            self._join(best[2], member)
            return {best[2].id}
        seeds = self.pending.setdefault(member.category, geo.Nearby(self.radius))
        seeds.add(member.event_id, member.seq, member.point, is_area=False)
        point = member.point
        near = [
            events[e]
            for e in seeds.near(point, is_area=False)
            if abs(events[e].start - member.start) <= self.window
            and events[e].point is not None
            and geo.distance_m(point, events[e].point or point) <= self.radius
        ]
        if len(near) < self.settings.cluster_min or cluster_id(member.event_id) in self.found:
            return set()
        self._founded += 1
        cluster = ComplaintCluster(
            cluster_id(member.event_id),
            order=self._founded,
            category=member.category,
            center=point,
            district=member.district,
            first=member.start,
            last=member.start,
        )
        self.found[cluster.id] = cluster
        nearby.add(cluster.id, cluster.order, cluster.center, is_area=False)
        for seed in sorted(near, key=lambda m: (m.start, m.seq)):
            seeds.remove(seed.event_id)
            self._join(cluster, seed)
        return {cluster.id}

    def _join(self, cluster: ComplaintCluster, member: Member) -> None:
        member.cluster = cluster.id
        cluster.count += 1
        cluster.first = min(cluster.first, member.start)
        cluster.last = max(cluster.last, member.start)
        assert member.point is not None
        cluster.radius_m = max(
            cluster.radius_m, round(geo.distance_m(cluster.center, member.point), 1)
        )
        if len(cluster.members) < MAX_CLUSTER_MEMBERS:
            cluster.members.append(member.event_id)
            cluster.times.append(member.start)
            self.listed[member.event_id] = cluster.id
            self.moved(member.event_id, None, member.situation)

    def prune(self, events: Mapping[str, Member]) -> set[str]:
        """Forget seeds too old to grow into a cluster and clusters past their keep; the ids of
        the clusters removed."""
        held = sum(len(seeds.order) for seeds in self.pending.values())
        for seeds in self.pending.values():
            for event_id in list(seeds.order):
                if events[event_id].end < self.now - self.window or held > MAX_PENDING_COMPLAINTS:
                    seeds.remove(event_id)
                    self.released.append(event_id)
                    held -= 1
        by_age = sorted(self.found.values(), key=lambda c: (c.last, c.order))
        removed = set()
        for cluster in by_age:
            stale = cluster.last < self.now - CLUSTER_KEEP_SECONDS
            if stale or len(self.found) > MAX_CLUSTERS:
                del self.found[cluster.id]
                self.near[cluster.category].remove(cluster.id)
                removed.add(cluster.id)
                for event_id in cluster.members:
                    events[event_id].cluster = None
                    if self.listed.get(event_id) == cluster.id:
                        del self.listed[event_id]
                        self.released.append(event_id)
        return removed

    def wire(self, cluster: ComplaintCluster, situation: str | None) -> dict[str, Any]:
        """A cluster as the `situations` message carries it."""
        buckets = self.settings.sparkline_buckets
        width = self.window / buckets
        start = cluster.last - self.window
        sparkline = [0] * buckets
        for t in cluster.times:
            if t >= start:
                sparkline[min(buckets - 1, int((t - start) / width))] += 1
        newest = sorted(zip(cluster.times, cluster.members, strict=True), reverse=True)
        return {
            "id": cluster.id,
            "category": cluster.category,
            "count": cluster.count,
            "members": [e for _, e in newest[:MAX_CLUSTER_MEMBERS_SHOWN]],
            "center": [round(v, geo.COORD_DIGITS) for v in cluster.center],
            "radius_m": cluster.radius_m,
            "first_at": iso_of(cluster.first),
            "last_at": iso_of(cluster.last),
            "sparkline": sparkline,
            "situation": situation,
            "district": cluster.district,
        }

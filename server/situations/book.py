"""The situation book: a deterministic fold of the log into situations and complaint clusters.

Fed committed entries in seq order (`apply`), it groups active events about one real-world
incident by place, time (the events' own times, never the clock) and category affinity, and
gathers complaints of one category into clusters. Operator acts (link, unlink, merge, split,
rename, close) are action entries and are folded the same way, so the live server, a restart
and a replay of a recording all rebuild the same book, byte for byte. docs/situations.md states
every rule; this module is the one place they are coded.

Determinism: no clock, no randomness, and no iteration over sets or hash order — every choice
is made over insertion-ordered dicts or sorted lists, with ties broken by seq or id.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from server.situations import geo
from server.situations.clusters import Clusters, ComplaintCluster
from server.situations.members import RANKS, Member, iso_of, read_event
from server.situations.settings import SituationSettings
from server.stream import workflow
from server.stream.events import MAX_TITLE_CHARS, Action, ActionName, Severity

# Bounds (named so memory stays bounded whatever the log holds; docs/situations.md says why).
MAX_OPEN_SITUATIONS = 500  # past this, events stay ungrouped until one closes
MAX_CLOSED_SITUATIONS = 500  # closed ones kept for the board and the briefing; oldest go first
MAX_MEMBERS = 2_000  # per situation; further events are not added automatically
MAX_MEMBERS_SHOWN = 200  # event ids on the wire per situation (newest first)
MAX_LOOSE_EVENTS = 5_000  # ungrouped active events kept as partners for later ones
MAX_KEPT_EVENTS = 50_000  # recent events kept in all (members, loose, and any an operator may link)
PRUNE_EVERY = 512  # entries between sweeps that forget events no situation needs
MAX_SPLIT_EVENTS = 500  # events one split may move
# the escalator's own bookkeeping on a situation: not a change a person made or should see as one
QUIET_ACTIONS = frozenset(
    {
        ActionName.ESCALATION_SCHEDULED,
        ActionName.ESCALATION_STEP,
        ActionName.ESCALATION_RESULT,
        ActionName.ESCALATION_STOPPED,
    }
)
# an operator's acts on situations: the action names `situation_*` (server/stream/events.py)
OPERATOR_ACTIONS = frozenset(a for a in ActionName if a.startswith("situation_"))
SITUATION_PREFIX = "situation:"
SEVERITY_OF_RANK = {r: s for s, r in RANKS.items()}
EXTREME = RANKS[Severity.EXTREME.value]


def short_hash(text: str) -> str:
    """Twelve hex digits of sha256: ids that every node and every replay derive alike."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def situation_id(founder: str) -> str:
    """The id of a situation founded by this event."""
    return f"{SITUATION_PREFIX}{short_hash(founder)}"


def split_id(first_moved: str) -> str:
    """The id of the situation a split makes, from the first event it moves."""
    return f"{SITUATION_PREFIX}{short_hash('split:' + first_moved)}"


@dataclass
class Situation:
    """One incident: its members (in the order they joined) and what operators did to it."""

    id: str
    order: int  # the seq that founded it: "oldest" for ties
    members: dict[str, None] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)  # put here by an operator's link
    banned: list[str] = field(default_factory=list)  # taken out by an operator's unlink
    title: str | None = None  # an operator's name for it
    status: str = "open"
    closed_by: str | None = None  # auto · operator · merge · resolve
    merged_into: str | None = None
    workflow: dict[str, Any] | None = None
    last_change_at: str = ""
    active: int = 0  # members whose newest version is active: none left closes it
    families: frozenset[int] = frozenset()  # its disasters' families: what may join on its own
    indexed: bool = True  # its active members are in `member_near` (open, and room for more)


class SituationBook:
    """Situations and clusters as of the last entry applied; see the module docstring."""

    def __init__(self, settings: SituationSettings) -> None:
        self.settings = settings
        self.seq = 0  # the last seq applied
        self.distance = settings.distance_m
        self.window = settings.window_minutes * 60
        self._families: dict[str, frozenset[int]] = {}
        for index, family in enumerate(settings.affinity):
            for category in family:
                self._families[category] = self._families.get(category, frozenset()) | {index}
        self.events: dict[str, Member] = {}
        self._situations: dict[str, Situation] = {}
        self.loose: dict[str, None] = {}  # ungrouped active events that may partner later ones
        self.loose_near = geo.Nearby(settings.distance_m)  # the loose ones by place
        # the loose disasters alone: a traffic event or a complaint can found only with one of
        # them, and a crowd of loose complaints on one block must not be searched each time
        self.loose_disasters = geo.Nearby(settings.distance_m)
        # members an event may join, by place: at least the active members of open situations
        # with room for more (the rest would only be skipped, and a big one is 2,000 of them)
        self.member_near = geo.Nearest(settings.distance_m)
        self._clusters = Clusters(settings)
        # ids that may be forgotten at the next prune: new ones and those something stopped
        # holding (a prune looks at these, not at every event kept)
        self._forgettable: dict[str, None] = {}
        self.now = 0.0  # the newest event time seen: "recent" is measured from here
        self._changed: set[str] = set()
        self._wire: dict[str, dict[str, Any]] = {}
        self._applied = 0

    # ------------------------------------------------------------------------- feeding

    def apply(self, seq: int, type_: str, body: Any) -> set[str]:
        """Fold one committed entry; the ids of situations and clusters it changed (an id that
        `get` no longer knows was removed)."""
        self.seq = max(self.seq, seq)
        if type_ == "event":
            self._event(seq, body)
        elif type_ == "action" and isinstance(body, dict):
            self._action(seq, body)
        self._applied += 1
        if self._applied % PRUNE_EVERY == 0:
            self._prune()
        changed, self._changed = self._changed, set()
        for key in changed:
            self._wire.pop(key, None)
        return changed

    def _event(self, seq: int, body: Any) -> None:
        if not isinstance(body, dict):
            return
        old = self.events.get(str(body.get("event_id")))
        if (
            old is not None
            and isinstance(body.get("version"), int)
            and body["version"] <= old.version
        ):
            return  # stale or a duplicate: the log keeps the newest
        member = read_event(old.seq if old else seq, body, self._families)
        if member is None:
            return
        self.now = max(self.now, member.end)
        if old is not None:
            member.situation, member.cluster = old.situation, old.cluster
        else:
            self._forgettable[member.event_id] = None
        self.events[member.event_id] = member
        if member.kind == "complaint":
            for changed in self._clusters.add(member, self.events, is_new=old is None):
                self._changed.add(changed)
                cluster = self._clusters.get(changed)
                owner = self._cluster_situation(cluster) if cluster else None
                if owner is not None:  # its card lists the cluster
                    self._changed.add(owner)
        if member.situation is not None:
            assert old is not None
            situation = self._situations[member.situation]
            if member.event_id in situation.members:
                situation.active += member.active - old.active
            if member.active:
                self.member_near.add(member.event_id, member.seq, member.point, member.is_area)
            else:
                self.member_near.remove(member.event_id)
            self._member_changed(situation, member)
        elif member.active and old is not None and self._same_place(old, member):
            pass  # still loose: whatever joins near it later sweeps it in
        elif member.active:
            self._place(member, seq)
        else:
            self._unloose(member.event_id)

    def _same_place(self, old: Member, new: Member) -> bool:
        """A loose event's new version groups as the old one did (same place, category and start,
        still waiting loose): searching again would find nothing new."""
        return old.event_id in self.loose and (
            old.point,
            old.box,
            old.district,
            old.category,
            old.start,
        ) == (new.point, new.box, new.district, new.category, new.start)

    def _member_changed(self, situation: Situation, member: Member) -> None:
        """A member's new version: counts and severity follow; the last active one ending closes
        the situation, and a member coming back reopens one that closed by itself."""
        self._touch(situation, member.changed_at)
        if situation.status == "open" and not situation.active:
            situation.status, situation.closed_by = "closed", "auto"
        elif situation.closed_by == "auto" and member.active:
            situation.status, situation.closed_by = "open", None
        self._reindex(situation)

    def _place(self, member: Member, seq: int) -> None:
        """Join the open situation with the nearest member it groups with (the oldest situation
        on a tie), or found one with a partner, or wait as a loose event."""
        if not member.families or (member.point is None and member.district is None):
            return
        best: tuple[float, int, str] | None = None
        # nearest first, stopping once no member left can be as near as the best: the least
        # (gap, order) wins whatever order members are measured in (no two situations share
        # an order, so a tie on both is one situation)
        for floor, ids in self.member_near.nearest_first(member.point, member.is_area):
            if best is not None and floor > best[0]:
                break
            for other_id in ids:
                other = self.events[other_id]
                if other is member or not other.active or other.situation is None:
                    continue
                situation = self._situations[other.situation]
                if situation.status != "open" or member.event_id in situation.banned:
                    continue
                if not member.families & situation.families:
                    continue  # near a member it pairs with, but not about this incident
                if len(situation.members) >= MAX_MEMBERS:
                    continue
                gap = self._pair_gap(member, other)
                if gap is not None and (best is None or (gap, situation.order) < best[:2]):
                    best = (gap, situation.order, situation.id)
        if best is not None:
            self._join(self._situations[best[2]], member)
            self._sweep(self._situations[best[2]], [member])
            return
        self._loosen(member)
        self._found(member, seq)

    def _found(self, member: Member, seq: int) -> None:
        """Found a situation when a disaster meets a partner (or is extreme on its own)."""
        partner: tuple[float, int, Member] | None = None
        partners = self.loose_near if member.kind == "disaster" else self.loose_disasters
        for other_id in partners.near(member.point, member.is_area):
            other = self.events[other_id]
            if other is member:
                continue
            gap = self._pair_gap(member, other)
            if gap is not None and (partner is None or (gap, other.seq) < partner[:2]):
                partner = (gap, other.seq, other)
        lone = member.kind == "disaster" and member.rank == EXTREME
        if (partner is None and not lone) or self._open_count() >= MAX_OPEN_SITUATIONS:
            return
        pair = [member] if partner is None else [member, partner[2]]
        founder = min((m for m in pair if m.kind == "disaster"), key=lambda m: (m.seq, m.event_id))
        situation = Situation(situation_id(founder.event_id), order=seq)
        if situation.id in self._situations:  # refounded after an operator emptied it: reuse
            situation = self._situations.pop(situation.id)
            situation.status, situation.closed_by, situation.merged_into = "open", None, None
        self._situations[situation.id] = situation
        pair.sort(key=lambda m: m is not founder)
        for m in pair:
            self._join(situation, m)
        self._sweep(situation, pair)

    def _sweep(self, situation: Situation, joined: list[Member]) -> None:
        """Pull in every loose event that groups with a member that just joined, and with those
        it pulls in, until none does."""
        queue = deque(m for m in joined if m.active)
        while queue and len(situation.members) < MAX_MEMBERS:
            seed = queue.popleft()
            for event_id in self.loose_near.near(seed.point, seed.is_area):
                candidate = self.events[event_id]
                if event_id in situation.banned or not candidate.families & situation.families:
                    continue
                if self._pair_gap(candidate, seed) is None:
                    continue
                self._join(situation, candidate)
                queue.append(candidate)
                if len(situation.members) >= MAX_MEMBERS:
                    break

    def _loosen(self, member: Member) -> None:
        self.loose[member.event_id] = None
        self.loose_near.add(member.event_id, member.seq, member.point, member.is_area)
        self.loose_disasters.remove(member.event_id)
        if member.kind == "disaster":
            self.loose_disasters.add(member.event_id, member.seq, member.point, member.is_area)

    def _unloose(self, event_id: str) -> None:
        if event_id in self.loose:
            del self.loose[event_id]
            self._forgettable[event_id] = None
        self.loose_near.remove(event_id)
        self.loose_disasters.remove(event_id)

    def _join(self, situation: Situation, member: Member) -> None:
        if member.kind == "disaster":
            situation.families |= member.families
        self._assign(member, situation.id)
        self._unloose(member.event_id)
        situation.members[member.event_id] = None
        if member.active:
            situation.active += 1
            if situation.indexed:
                self.member_near.add(member.event_id, member.seq, member.point, member.is_area)
        self._touch(situation, member.changed_at)
        if member.cluster is not None:
            self._changed.add(member.cluster)

    def _leave(self, situation: Situation, event_id: str) -> Member | None:
        if event_id not in situation.members:
            return None
        del situation.members[event_id]
        if event_id in situation.pinned:
            situation.pinned.remove(event_id)
        self.member_near.remove(event_id)
        member = self.events[event_id]
        situation.active -= member.active
        self._assign(member, None)
        self._changed.add(situation.id)
        self._reindex(situation)
        if member.cluster is not None:
            self._changed.add(member.cluster)
        return member

    def _assign(self, member: Member, situation: str | None) -> None:
        """The one place a member changes situation, so its cluster's holders count it."""
        self._clusters.moved(member.event_id, member.situation, situation)
        member.situation = situation
        if situation is None:
            self._forgettable[member.event_id] = None

    def _reindex(self, situation: Situation) -> None:
        """A situation closed, reopened, filled up or made room: its members leave or rejoin
        `member_near` all at once (bounded by MAX_MEMBERS, and only when that changes)."""
        wanted = situation.status == "open" and len(situation.members) < MAX_MEMBERS
        if wanted == situation.indexed:
            return
        situation.indexed = wanted
        for event_id in situation.members:
            member = self.events[event_id]
            if not wanted:
                self.member_near.remove(event_id)
            elif member.active:
                self.member_near.add(event_id, member.seq, member.point, member.is_area)

    def _touch(self, situation: Situation, at: str) -> None:
        situation.last_change_at = max(situation.last_change_at, at)
        self._changed.add(situation.id)
        self._reindex(situation)

    # ------------------------------------------------------------------------- matching

    def _pair_gap(self, a: Member, b: Member) -> float | None:
        """Distance in metres when two events group (affine, near, close in time), else None."""
        if a.families.isdisjoint(b.families):
            return None
        if max(a.start, b.start) - min(a.end, b.end) > self.window:
            return None
        if a.point is not None and b.point is not None:
            gap = geo.distance_m(a.point, b.point)
            if gap <= self.distance:
                return round(gap, 1)
        if a.box is not None and b.box is not None and geo.boxes_overlap(a.box, b.box):
            return 0.0
        for area, other in ((a, b), (b, a)):
            if area.box is not None and other.point is not None:
                west, south, east, north = area.box
                if west <= other.point[0] <= east and south <= other.point[1] <= north:
                    return 0.0
        if (a.is_area or b.is_area) and a.district is not None and a.district == b.district:
            return 0.0
        return None

    # ------------------------------------------------------------------------- operators

    def check(self, name: str, target: str, data: dict[str, Any]) -> str | None:
        """Why an operator's act on a situation cannot be done (one line), or None if it can;
        the server asks before logging it, so the log holds only acts that mean something."""
        situation = self._situations.get(target)
        if name == "situation_link":
            event = data.get("event")
            if not isinstance(event, str) or event not in self.events:
                return f"no event {event!r} in this stream's recent history"
            if situation is None:
                if target != situation_id(event):
                    new = situation_id(event)
                    return f"no situation {target!r} (a new one from {event!r} is {new!r})"
                return None
        if situation is None:
            return f"no situation {target!r}"
        if name in OPERATOR_ACTIONS and name != "situation_rename" and situation.status != "open":
            return f"situation {target!r} is closed"
        if name == "situation_unlink" and data.get("event") not in situation.members:
            return f"{data.get('event')!r} is not a member of {target!r}"
        if name == "situation_merge":
            source = self._situations.get(str(data.get("from")))
            if source is None or source.status != "open" or source.id == target:
                return f"cannot merge {data.get('from')!r}: it must be another open situation"
        if name == "situation_split":
            moved = data.get("events")
            if not isinstance(moved, list) or not moved or len(moved) > MAX_SPLIT_EVENTS:
                return f"a split moves 1 to {MAX_SPLIT_EVENTS} member events"
            strays = [e for e in moved if e not in situation.members]
            if strays:
                return f"{strays[0]!r} is not a member of {target!r}"
            if len(set(map(str, moved))) >= len(situation.members):
                return "a split must leave at least one member behind"
        if name == "situation_rename":
            title = data.get("title")
            if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
                return f"a title is 1 to {MAX_TITLE_CHARS} characters"
        return None

    def _action(self, seq: int, body: dict[str, Any]) -> None:
        target, name = body.get("event_id"), body.get("action")
        if not isinstance(target, str) or not target.startswith(SITUATION_PREFIX):
            return
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        assert isinstance(data, dict)
        at = body.get("at") if isinstance(body.get("at"), str) else ""
        assert isinstance(at, str)
        if name in OPERATOR_ACTIONS:
            if self.check(str(name), target, data) is None:
                self._operate(str(name), target, data, seq)
                self._touch(self._situations[target], at)
            return
        situation = self._situations.get(target)
        if situation is None:
            return
        try:
            action = Action.model_validate(body)
        except ValidationError:
            return
        situation.workflow = workflow.apply(situation.workflow, action)
        if name == "resolve" and situation.status == "open":
            situation.status, situation.closed_by = "closed", "resolve"
        self._touch(situation, "" if name in QUIET_ACTIONS else at)  # re-sent, not "changed"

    def _operate(self, name: str, target: str, data: dict[str, Any], seq: int) -> None:
        if name == "situation_link":
            self._link(target, str(data["event"]), seq)
            return
        situation = self._situations[target]
        if name == "situation_unlink":
            member = self._leave(situation, str(data["event"]))
            situation.banned.append(str(data["event"]))
            if member is not None and member.active:
                self._place(member, seq)
        elif name == "situation_merge":
            source = self._situations[str(data["from"])]
            for event_id in list(source.members):
                pinned = event_id in source.pinned
                member = self._leave(source, event_id)
                if member is not None:
                    self._join(situation, member)
                    if pinned:
                        situation.pinned.append(event_id)
            source.status, source.closed_by, source.merged_into = "closed", "merge", target
            self._reindex(source)
            self._changed.add(source.id)
        elif name == "situation_split":
            moved = list(dict.fromkeys(str(e) for e in data["events"]))
            # a part split off is of the same nature: what may join it is what could join before
            new = Situation(split_id(moved[0]), order=seq, title=None, families=situation.families)
            self._situations.pop(new.id, None)
            self._situations[new.id] = new
            for event_id in moved:
                member = self._leave(situation, event_id)
                if member is not None:
                    self._join(new, member)
                    new.pinned.append(event_id)
            self._sweep(new, [self.events[e] for e in new.members])
        elif name == "situation_rename":
            situation.title = str(data["title"]).strip()
        elif name == "situation_close":
            situation.status, situation.closed_by = "closed", "operator"

    def _link(self, target: str, event_id: str, seq: int) -> None:
        member = self.events[event_id]
        situation = self._situations.get(target)
        if situation is None:
            situation = self._situations[target] = Situation(target, order=seq)
        if member.situation == target:
            if event_id not in situation.pinned:
                situation.pinned.append(event_id)
            return
        if member.situation is not None:
            self._leave(self._situations[member.situation], event_id)
        if event_id in situation.banned:
            situation.banned.remove(event_id)
        self._join(situation, member)
        situation.pinned.append(event_id)
        self._sweep(situation, [member])

    # ------------------------------------------------------------------------- bounds

    def _open_count(self) -> int:
        return sum(1 for s in self._situations.values() if s.status == "open")

    def _prune(self) -> None:
        """Forget what no situation or cluster needs: loose events too old to partner, the
        oldest closed situations past MAX_CLOSED_SITUATIONS, ended events outside everything."""
        horizon = self.now - self.window
        for event_id in list(self.loose):
            if self.events[event_id].end < horizon or len(self.loose) > MAX_LOOSE_EVENTS:
                self._unloose(event_id)
        closed = [s for s in self._situations.values() if s.status != "open"]
        for situation in closed[: max(0, len(closed) - MAX_CLOSED_SITUATIONS)]:
            for event_id in situation.members:
                self._assign(self.events[event_id], None)
                self.member_near.remove(event_id)
            del self._situations[situation.id]
            self._changed.add(situation.id)
        removed = self._clusters.prune(self.events)
        if removed:  # situation cards list their clusters: build them all afresh
            self._changed |= removed | set(self._situations)
        self._forgettable.update(dict.fromkeys(self._clusters.released))
        self._clusters.released.clear()
        spare = len(self.events) - MAX_KEPT_EVENTS
        # in the order `events` keeps them, which is the order of their seqs (entries come in
        # seq order); those still held leave the list until something lets them go again
        maybe = sorted(
            (self.events[e] for e in self._forgettable if e in self.events), key=lambda m: m.seq
        )
        self._forgettable = {}
        for member in maybe:
            event_id = member.event_id
            kept = event_id in self.loose or self._clusters.holds(event_id)
            if member.situation is not None or kept:
                continue
            if member.end < horizon or spare > 0:
                del self.events[event_id]
                spare -= 1
            else:
                self._forgettable[event_id] = None

    # ------------------------------------------------------------------------- reading

    def _live_members(self, situation: Situation) -> list[Member]:
        """The members that speak for it now: the active ones, or all when none is."""
        members = [self.events[e] for e in situation.members]
        return [m for m in members if m.active] or members

    def get(self, id_: str) -> dict[str, Any] | None:
        """One situation or cluster as on the wire, or None."""
        if id_ in self._wire:
            return self._wire[id_]
        found: dict[str, Any] | None = None
        if id_ in self._situations:
            found = self._situation_wire(self._situations[id_])
        elif (cluster := self._clusters.get(id_)) is not None:
            found = self._clusters.wire(cluster, self._cluster_situation(cluster))
        if found is not None:
            self._wire[id_] = found
        return found

    def situations(self) -> list[dict[str, Any]]:
        """Every situation on the wire: open first, then the most severe, then the oldest."""
        found = [w for w in (self.get(i) for i in self._situations) if w is not None]
        return sorted(
            found,
            key=lambda w: (w["status"] != "open", -RANKS[w["severity"]], w["first_at"], w["id"]),
        )

    def clusters(self) -> list[dict[str, Any]]:
        """Every kept cluster on the wire, the most recently grown first."""
        found = [w for w in (self.get(i) for i in self._clusters.ids()) if w is not None]
        return sorted(found, key=lambda w: (w["last_at"], w["id"]), reverse=True)

    def _cluster_situation(self, cluster: ComplaintCluster) -> str | None:
        """The situation that holds most of a cluster's complaints (the oldest on a tie)."""
        holders = cluster.holders
        if not holders:
            return None
        return min(holders, key=lambda s: (-holders[s], self._situations[s].order))

    def _situation_wire(self, situation: Situation) -> dict[str, Any]:
        live = self._live_members(situation)
        everyone = [self.events[e] for e in situation.members]
        active = [m for m in everyone if m.active]
        rank = max((m.rank for m in live), default=RANKS["info"])
        complaints = sum(1 for m in active if m.kind == "complaint")
        raised = complaints >= self.settings.complaint_volume_raise and rank < EXTREME
        counts: dict[str, int] = {}
        for m in active:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        outline = geo.hull(p for m in live for p in m.outline)
        area = geo.area_geometry(outline)
        box = geo.bbox_of(outline)
        top = min(
            live, key=lambda m: (-m.rank, m.kind != "disaster", m.start, m.event_id), default=None
        )
        newest = sorted(everyone, key=lambda m: (-m.start, m.event_id))
        listed = {m.cluster for m in everyone if m.cluster is not None}
        clusters = sorted(c for c in listed if self._owns(situation, c))
        flow = situation.workflow or workflow.initial()
        return {
            "id": situation.id,
            "title": situation.title or (top.title if top else situation.id),
            "title_auto": situation.title is None,
            "severity": SEVERITY_OF_RANK[rank + 1 if raised else rank],
            "raised": raised,
            "status": situation.status,
            "merged_into": situation.merged_into,
            "members": [m.event_id for m in newest[:MAX_MEMBERS_SHOWN]],
            "member_count": len(everyone),
            "pinned": sorted(situation.pinned),
            "clusters": clusters,
            "counts": dict(sorted(counts.items())),
            "districts": sorted({m.district for m in live if m.district is not None}),
            "area": area,
            "bbox": [round(v, geo.COORD_DIGITS) for v in box] if box else None,
            "first_at": iso_of(min((m.start for m in everyone), default=0.0)),
            "last_change_at": situation.last_change_at or None,
            "owner": flow.get("assigned_to") or None,
            "workflow": flow,
            "escalation": flow.get("escalation"),
        }

    def _owns(self, situation: Situation, cluster_id: str) -> bool:
        cluster = self._clusters.get(cluster_id)
        return cluster is not None and self._cluster_situation(cluster) == situation.id


def fold(entries: Iterable[tuple[int, str, Any]], settings: SituationSettings) -> SituationBook:
    """A book built from a log or a recording's entries, in seq order."""
    book = SituationBook(settings)
    for seq, type_, body in entries:
        book.apply(seq, type_, body)
    return book

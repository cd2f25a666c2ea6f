"""The escalator: an unacknowledged event or situation climbs its policy's steps until acted on.

Its state is a fold of the log, nothing else: an event that falls under a policy becomes a
candidate; `escalation_scheduled` plans its steps (each `after_minutes` after the one before,
the first after the event's arrival on the log); `escalation_step` says a step was taken; an
ack, assignment or resolution, the event's end, or `escalation_stopped` ends the chain. A
situation is a candidate the same way, from what the stream's situation book (itself a fold of
the log) says of it (`situations_changed`), and its chain is kept under its id exactly like an
event's; it also ends when the situation closes or is merged away. At start it folds the history
of each active event a policy may cover and of each situation the book holds that a policy covers
or whose chain is running, so a restart picks up exactly where the log says it was. Every
decision it writes goes through `append_once` with a key per event (or situation) and step:
whatever another node (or an earlier run) already wrote is skipped, so each step is taken once.
A step is claimed and logged first, then acted on (a call through the configured dialer, or a
notifier), then its result is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson

from server.errors import CityboardError, LogError, NotifierError
from server.escalation.notifiers import Notification, Notifier
from server.escalation.settings import SITUATION, EscalationSettings, Policy
from server.escalation.targets import department_of, officer_for
from server.officers.calls import CallService
from server.stream.events import Action, ActionName, Body, iso_utc, utcnow
from server.stream.log import AppendResult, Committed, EventFilter, Snapshot

log = logging.getLogger(__name__)

ACTOR = "cityboard"
HISTORY_LIMIT = 10_000  # entries of one event read at start (its versions, actions, steps)
RECOVER_MAX_EVENTS = 10_000  # active events a policy may cover, read at start
MAX_WAIT_SECONDS = 30.0  # the loop looks again at least this often
RETRY_SECONDS = 2.0  # after the log refused a write (it is down): try the decision again
CALL_END_MARGIN_SECONDS = 30.0  # beyond call_max_seconds, before a call's result is "failed"
MAX_DETAIL_CHARS = 300
STOPPED_BY = {
    ActionName.ACK: "acknowledged",
    ActionName.ASSIGN: "acknowledged",
    ActionName.RESOLVE: "resolved",
}
#: a situation's wire object (docs/situations.md), as the situation book gives it
SituationWire = dict[str, Any]


class EscalationLog(Protocol):
    """What the escalator needs of a stream: reads to recover from, and claimed appends."""

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]: ...

    async def append_once(self, key: str, bodies: Sequence[Body]) -> list[AppendResult] | None: ...

    async def snapshot(self, flt: EventFilter, limit: int) -> Snapshot: ...

    async def history(self, event_id: str, limit: int) -> list[Committed]: ...

    async def workflows_of(self, event_ids: Sequence[str]) -> dict[str, Any]: ...

    async def current_event(self, event_id: str) -> bytes | None: ...


@dataclass
class Chain:
    """One event's escalation as the log tells it."""

    id: str
    arrived: datetime  # when the version that made it a candidate reached the log
    info: dict[str, Any]  # title, severity, kind, category, district of its latest version
    plan: list[dict[str, Any]] = field(default_factory=list)  # [{step, at, to}] once scheduled
    policy: str = ""
    fired: int = 0  # the last step on the log
    stop: str | None = None  # why it must stop, until `escalation_stopped` is on the log

    @property
    def running(self) -> bool:
        return bool(self.plan) and self.fired < len(self.plan)


def _info(body: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "severity", "kind", "category", "district", "status")
    return {k: body.get(k) for k in keys}


def _situation_info(wire: SituationWire) -> dict[str, Any]:
    """A situation in an event's terms: no category, and its first district (in code order) as
    the district whose officers it calls."""
    districts = [str(d) for d in wire.get("districts") or []]
    return {
        "title": wire.get("title"),
        "severity": wire.get("severity"),
        "kind": SITUATION,
        "category": None,
        "district": districts[0] if districts else None,
        "districts": districts,
        "status": wire.get("status"),
    }


def _situation_running(wire: SituationWire) -> bool:
    """The log has a chain for this situation that was never stopped."""
    esc = wire.get("escalation")
    return isinstance(esc, dict) and "stopped" not in esc


def _directory_keys(chain: Chain) -> dict[str, Any]:
    """What officers are found by: the event's district, kind and category; a situation's first
    district, whatever the officers there cover."""
    if chain.info.get("kind") == SITUATION:
        return {"district": chain.info.get("district"), "kind": None, "category": None}
    return {
        "district": chain.info.get("district"),
        "kind": str(chain.info.get("kind")),
        "category": str(chain.info.get("category")),
    }


def plan_of(policy: Policy, arrived: datetime) -> list[dict[str, Any]]:
    """The steps' times: each `after_minutes` after the one before, the first after arrival."""
    at, steps = arrived, []
    for n, step in enumerate(policy.steps, start=1):
        at += timedelta(minutes=step.after_minutes)
        steps.append({"step": n, "at": iso_utc(at), "to": step.to})
    return steps


class Escalator:
    """Folds committed entries (`observe`, the log's on-commit hook) and takes due steps (`run`,
    a task on a node that runs feeds)."""

    def __init__(
        self,
        stream: EscalationLog,
        settings: EscalationSettings,
        calls: CallService,
        notifiers: Mapping[str, Notifier],
        *,
        zone: ZoneInfo,
        lookahead: timedelta,
        call_max_seconds: float,
        situations: Callable[[], Iterable[SituationWire]] = tuple,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.stream = stream
        self.settings = settings
        self.calls = calls
        self.notifiers = notifiers
        self.zone = zone
        self.lookahead = lookahead
        self.call_max_seconds = call_max_seconds
        self._clock = clock
        self._situations = situations  # the stream's situations now (the book's), to recover
        self.chains: dict[str, Chain] = {}
        self._due: list[tuple[datetime, str, int]] = []  # heap of (due, event id, step)
        self._decide: set[str] = set()  # chains waiting to be scheduled or stopped
        self._inbox: list[Committed] = []
        self._situation_inbox: dict[str, SituationWire | None] = {}  # the latest of each
        self._wake = asyncio.Event()
        self._acting: set[asyncio.Task[None]] = set()
        self._severities = {s.value for p in settings.policies for s in p.severities}
        self._kinds = {str(k) for p in settings.policies for k in p.kinds} - {SITUATION}

    def on(
        self, stream: EscalationLog, situations: Callable[[], Iterable[SituationWire]] = tuple
    ) -> Escalator:
        """A fresh escalator with the same policies, calls and notifiers on another stream (a
        drill that rings real phones) and its situations."""
        return Escalator(
            stream,
            self.settings,
            self.calls,
            self.notifiers,
            zone=self.zone,
            lookahead=self.lookahead,
            call_max_seconds=self.call_max_seconds,
            situations=situations,
            clock=self._clock,
        )

    # ---------------------------------------------------------------- the fold

    def observe(self, entries: list[Committed]) -> None:
        """The log committed these (in seq order): note those that matter, wake the loop."""
        wanted = [
            e
            for e in entries
            if e.event_id in self.chains
            or (e.type == "event" and e.severity in self._severities and e.kind in self._kinds)
        ]
        if wanted:
            self._inbox.extend(wanted)
            self._wake.set()

    def situations_changed(self, found: Mapping[str, SituationWire | None]) -> None:
        """The situation book changed these situations (None: forgotten): note, wake the loop."""
        if found:
            self._situation_inbox.update(found)
            self._wake.set()

    def _drain(self) -> None:
        inbox, self._inbox = self._inbox, []
        for entry in inbox:
            self._fold(entry)
        situations, self._situation_inbox = self._situation_inbox, {}
        for situation_id, wire in situations.items():
            self._fold_situation(situation_id, wire)

    def _fold(self, entry: Committed) -> None:
        """One committed entry into the chains (the same for live entries and histories); one
        the fold cannot read (a drill's recording may hold anything) is skipped, and said."""
        data = orjson.loads(entry.raw)
        body = data["body"]
        try:
            if entry.type == "event":
                self._fold_event(body, datetime.fromisoformat(data["at"]))
            elif entry.type == "action" and body["event_id"] in self.chains:
                self._fold_action(self.chains[body["event_id"]], body)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("escalation: entry %d skipped: %s: %s", entry.seq, type(exc).__name__, exc)

    def _fold_event(self, body: dict[str, Any], at: datetime) -> None:
        event_id, active = body["event_id"], body.get("status") == "active"
        covered = bool(self._policies(body))
        chain = self.chains.get(event_id)
        if chain is None:
            if active and covered:
                self.chains[event_id] = Chain(event_id, at, _info(body))
                self._decide.add(event_id)
            return
        chain.info = _info(body)
        if not chain.plan:
            if not (active and covered):
                del self.chains[event_id]  # no longer a candidate before it was scheduled
            return
        if chain.stop is None and not active:
            chain.stop = "resolved" if body.get("status") == "resolved" else "cancelled"
        elif chain.stop is None and not covered:
            chain.stop = "cancelled"  # downgraded below every policy
        if chain.stop is not None:
            self._decide.add(event_id)

    def _fold_situation(self, situation_id: str, wire: SituationWire | None) -> None:
        """What the book says of a situation now: a candidate while open and covered; a running
        chain stops when it closes, is merged away or falls below every policy."""
        info = None if wire is None else _situation_info(wire)
        covered = info is not None and info["status"] == "open" and bool(self._policies(info))
        chain = self.chains.get(situation_id)
        if chain is None:
            if covered and info is not None:
                self.chains[situation_id] = Chain(situation_id, self._clock(), info)
                self._decide.add(situation_id)
            return
        if info is not None:
            chain.info = info
        if not chain.plan:
            if not covered:
                del self.chains[situation_id]  # no longer a candidate before it was scheduled
            return
        if chain.stop is None and not covered:
            if wire is None or wire.get("status") != "open":
                chain.stop = "merged" if wire and wire.get("merged_into") else "closed"
            else:
                chain.stop = "cancelled"  # below every policy now
            self._decide.add(situation_id)

    def _fold_action(self, chain: Chain, body: dict[str, Any]) -> None:
        name, data = body["action"], body.get("data", {})
        if name == ActionName.ESCALATION_SCHEDULED and not chain.plan:
            chain.plan, chain.policy = list(data["steps"]), str(data.get("policy", ""))
            self._push(chain)
        elif name == ActionName.ESCALATION_STEP:
            chain.fired = max(chain.fired, int(data["step"]))
            self._push(chain)
        elif name == ActionName.ESCALATION_STOPPED:
            del self.chains[chain.id]
        elif name in STOPPED_BY:
            if chain.plan and chain.stop is None:
                chain.stop = STOPPED_BY[ActionName(name)]
            self._decide.add(chain.id)
        if chain.plan and not chain.running and chain.stop is None:
            self.chains.pop(chain.id, None)  # every step taken: nothing left to do

    def _push(self, chain: Chain) -> None:
        if chain.running:
            step = chain.plan[chain.fired]
            due = datetime.fromisoformat(str(step["at"]))
            heapq.heappush(self._due, (due, chain.id, int(step["step"])))

    def _policies(self, body: dict[str, Any]) -> list[Policy]:
        if body.get("kind") == SITUATION:
            return self.settings.policies_for_situation(
                str(body.get("severity")), body.get("districts") or []
            )
        return self.settings.policies_for(
            str(body.get("kind")),
            str(body.get("severity")),
            str(body.get("category")),
            body.get("district"),
        )

    # ---------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Recover from the log, then take each decision when it is due; until cancelled."""
        await self._recover()
        try:
            while True:
                self._wake.clear()
                self._drain()
                try:
                    await self._decide_all()
                    await self._take_due_steps()
                except LogError as exc:
                    log.error("escalation: the log refused a decision (%s); trying again", exc)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                if self._inbox:
                    continue
                wait = MAX_WAIT_SECONDS
                if self._due:
                    until = (self._due[0][0] - self._clock()).total_seconds()
                    wait = min(wait, max(0.0, until))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            for task in list(self._acting):
                task.cancel()
            for task in list(self._acting):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _recover(self) -> None:
        """Fold the history of every active event a policy may cover, and of every situation a
        policy covers or whose chain the log left running: where each chain stands."""
        while True:
            try:
                if self._kinds:
                    flt = EventFilter(kinds=tuple(self._kinds), severities=tuple(self._severities))
                    snapshot = await self.stream.snapshot(flt, RECOVER_MAX_EVENTS)
                    for body in snapshot.events:
                        event_id = orjson.loads(body)["event_id"]
                        for entry in await self.stream.history(event_id, HISTORY_LIMIT):
                            self._fold(entry)
                for wire in list(self._situations()):
                    await self._recover_situation(wire)
                return
            except LogError as exc:
                log.error("escalation: cannot read the log to recover (%s); trying again", exc)
                await asyncio.sleep(RETRY_SECONDS)

    async def _recover_situation(self, wire: SituationWire) -> None:
        """A situation's chain from its history, then held against what the book says now."""
        situation_id, info = str(wire["id"]), _situation_info(wire)
        covered = info["status"] == "open" and bool(self._policies(info))
        if situation_id in self.chains or not (covered or _situation_running(wire)):
            return
        self.chains[situation_id] = Chain(situation_id, self._clock(), info)
        self._decide.add(situation_id)
        for entry in await self.stream.history(situation_id, HISTORY_LIMIT):
            self._fold(entry)
        self._fold_situation(situation_id, wire)

    async def _decide_all(self) -> None:
        """Schedule new candidates and stop chains that must stop; a refused write stays to do."""
        for event_id in sorted(self._decide):
            chain = self.chains.get(event_id)
            if chain is not None and chain.plan and chain.stop is not None:
                stop = Action(
                    action=ActionName.ESCALATION_STOPPED,
                    event_id=event_id,
                    actor=ACTOR,
                    at=self._clock(),
                    data={"reason": chain.stop},
                )
                await self.stream.append_once(f"escalation:{event_id}:stopped", [stop])
                self.chains.pop(event_id, None)
            elif chain is not None and not chain.plan:
                await self._schedule(chain)
            self._decide.discard(event_id)

    async def _schedule(self, chain: Chain) -> None:
        """Plan an unacknowledged candidate's steps under the first policy that takes it."""
        flow = (await self.stream.workflows_of([chain.id])).get(chain.id) or {}
        if "escalation" in flow:  # another node (or an earlier run) scheduled it: follow the log
            for entry in await self.stream.history(chain.id, HISTORY_LIMIT):
                self._fold(entry)
            return
        policy = await self._policy_for(chain)
        if flow.get("state", "new") != "new" or policy is None:
            del self.chains[chain.id]  # acted on already, or no policy takes it
            return
        scheduled = Action(
            action=ActionName.ESCALATION_SCHEDULED,
            event_id=chain.id,
            actor=ACTOR,
            at=self._clock(),
            data={"policy": policy.name, "steps": plan_of(policy, chain.arrived)},
        )
        await self.stream.append_once(f"escalation:{chain.id}:scheduled", [scheduled])

    async def _policy_for(self, chain: Chain) -> Policy | None:
        """The first covering policy whose departments (if any) include the event's."""
        department: str | None = None
        for policy in self._policies(chain.info):
            if policy.departments and department is None:
                department = department_of(await self.calls.store.all(), **_directory_keys(chain))
            if not policy.departments or department in policy.departments:
                return policy
        return None

    async def _take_due_steps(self) -> None:
        now = self._clock()
        while self._due and self._due[0][0] <= now:
            at, event_id, step = heapq.heappop(self._due)
            chain = self.chains.get(event_id)
            if chain is None or chain.stop is not None or chain.fired >= step:
                continue  # stopped, or taken meanwhile (here, by another node or an earlier run)
            try:
                await self._take(chain, step)
            except LogError:
                heapq.heappush(self._due, (at, event_id, step))
                raise

    async def _take(self, chain: Chain, n: int) -> None:
        """Claim step `n` and log it in one write; if the claim is ours, act on it."""
        spec = chain.plan[n - 1]
        to = str(spec["to"])
        target, via = await self._target(chain, to)
        data: dict[str, Any] = {"step": n, "to": to, "target": target or "", "via": via}
        if n < len(chain.plan):
            data |= {"next_at": chain.plan[n]["at"], "next_to": chain.plan[n]["to"]}
        step = Action(
            action=ActionName.ESCALATION_STEP,
            event_id=chain.id,
            actor=ACTOR,
            at=self._clock(),
            data=data,
        )
        if await self.stream.append_once(f"escalation:{chain.id}:step:{n}", [step]) is None:
            return  # another node or an earlier run took this step
        chain.fired = max(chain.fired, n)
        notification = Notification(
            id=chain.id,
            policy=chain.policy,
            step=n,
            of=len(chain.plan),
            to=to,
            at=iso_utc(self._clock()),
            title=str(chain.info.get("title", "")),
            severity=str(chain.info.get("severity", "")),
            kind=str(chain.info.get("kind", "")),
            category=str(chain.info.get("category") or ""),
            district=chain.info.get("district"),
        )
        task = asyncio.create_task(self._act(notification, target), name=f"escalate-{chain.id}")
        self._acting.add(task)
        task.add_done_callback(self._acting.discard)

    async def _target(self, chain: Chain, to: str) -> tuple[str | None, str]:
        """(whom, by what): an officer id and the dialer, or a notifier's name and plugin."""
        if to.startswith("notifier:"):
            name = to.removeprefix("notifier:")
            return name, f"notifier:{self.notifiers[name].name}"
        officer = officer_for(
            to,
            await self.calls.store.all(),
            **_directory_keys(chain),
            at=self._clock(),
            zone=self.zone,
            lookahead=self.lookahead,
        )
        return (None if officer is None else officer.id), f"dialer:{self.calls.dialer.name}"

    async def _act(self, n: Notification, target: str | None) -> None:
        """Carry a taken step out and log its result; nothing here stops the escalator."""
        try:
            outcome, detail = await self._deliver(n, target)
        except Exception as exc:  # a plugin's bug is the step's failure, not the server's
            log.exception("escalation step %d of %s failed", n.step, n.id)
            outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
        if outcome == "failed":
            log.warning("escalation step %d of %s failed: %s", n.step, n.id, detail)
        result = Action(
            action=ActionName.ESCALATION_RESULT,
            event_id=n.id,
            actor=ACTOR,
            at=self._clock(),
            data={"step": n.step, "outcome": outcome, "detail": detail[:MAX_DETAIL_CHARS]},
        )
        try:
            await self.stream.append([result])
        except LogError as exc:
            log.error("escalation step %d of %s: result not logged: %s", n.step, n.id, exc)

    async def _deliver(self, n: Notification, target: str | None) -> tuple[str, str]:
        """(outcome, detail) of one step: `delivered` by a notifier, or the call's outcome."""
        if n.to.startswith("notifier:"):
            try:
                return "delivered", await self.notifiers[n.to.removeprefix("notifier:")].notify(n)
            except NotifierError as exc:
                return "failed", exc.message
        if target is None:
            where = n.district or "outside every district"
            return "failed", f"no {n.to.replace('_', ' ')} in the directory for {where}, {n.kind}"
        if self.calls.dialer.initial_status == "handed_off":
            return "failed", (
                f"the {self.calls.dialer.name} dialer hands calls to an operator's phone;"
                ' escalation calls need a dialer that places them (dialer = "sip")'
            )
        try:
            call = await self.calls.start(n.id, target, ACTOR, record=self.stream)
        except CityboardError as exc:  # cannot be asked for, refused, or not on the record
            return "failed", exc.message
        try:
            await asyncio.wait_for(
                call.finished.wait(), self.call_max_seconds + CALL_END_MARGIN_SECONDS
            )
        except TimeoutError:
            return "failed", f"call {call.call_id} did not end"
        reason = f": {call.reason}" if call.reason else ""
        return str(call.outcome), f"call {call.call_id} to {target}{reason}"

    async def close(self) -> None:
        """Release the notifiers' connections (the server is shutting down)."""
        for notifier in self.notifiers.values():
            try:
                await notifier.close()
            except Exception:
                log.exception("notifier %s failed to close", notifier.name)

"""Calls from an event to an officer, recorded on the event's timeline.

`CallService.start` checks the event and the officer, asks the configured dialer what it will dial,
logs `call_started`, and has the dialer place the call; the dialer's reports become `call_ringing`,
`call_answered` and one `call_ended` (outcome, duration, reason) — actions on the event like any
operator's, so every board, the event's history and every recording show who called whom, when,
for how long, and how it ended.

Calls under way are also noted in the directory's database; a server that stops during a call
closes it on the record at its next start (outcome `failed`, the reason says why).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from server.errors import CallError, CityboardError, DialerError
from server.officers.dialers.base import OUTCOMES, CallRequest, Dialer, Outcome
from server.officers.store import OfficerStore
from server.settings import Settings
from server.stream.events import Action, ActionName, Body, iso_utc, utcnow
from server.stream.log import AppendResult

log = logging.getLogger(__name__)

ENDED_CALLS_KEPT = 500
MAX_REASON_CODE_CHARS = 40  # finished calls still answered by GET /api/calls/{id}


class CallRecord(Protocol):
    """Where a call is logged: the live log, or the stream of a drill that rings real phones."""

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]: ...


class CallFailed(CityboardError):
    """The dialer could not place the call; it is on the record as `failed`."""

    code = "dialer_failed"

    def __init__(self, call: Call, error: DialerError) -> None:
        super().__init__(error.message, code=error.code)
        self.call = call


@dataclass(eq=False)
class Call:
    """One call and where it stands."""

    call_id: str
    event_id: str
    officer_id: str
    dialer: str
    number: str
    actor: str
    started_at: datetime
    record: CallRecord
    details: dict[str, str] = field(default_factory=dict)
    status: str = "starting"  # → dialing | handed_off → ringing → answered → ended
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome | None = None
    reason: str = ""
    reason_code: str = ""
    duration_s: float | None = None
    marked: bool = False  # the operator said it ended (what a handed-off call's length rests on)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    finished: asyncio.Event = field(default_factory=asyncio.Event)  # set once `call_ended` is

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def as_json(self, *, contact: bool = True) -> dict[str, Any]:
        """Where the call stands; without `contact` (viewers), not what was dialled."""
        data: dict[str, Any] = {
            "call_id": self.call_id,
            "event_id": self.event_id,
            "officer_id": self.officer_id,
            "dialer": self.dialer,
            "status": self.status,
            "started_at": iso_utc(self.started_at),
        }
        if contact:
            data |= {"number": self.number, **self.details}
        for name in ("ringing_at", "answered_at", "ended_at"):
            value = getattr(self, name)
            if value is not None:
                data[name] = iso_utc(value)
        if self.outcome is not None:
            data["outcome"] = self.outcome
            data["duration_s"] = self.duration_s
            if self.reason:
                data["reason"] = self.reason
            if self.reason_code:
                data["reason_code"] = self.reason_code
        return data


class _Progress:
    """The `CallEvents` a dialer reports one call's life to."""

    def __init__(self, service: CallService, call: Call) -> None:
        self._service = service
        self._call = call

    async def ringing(self) -> None:
        await self._service._ringing(self._call)

    async def answered(self) -> None:
        await self._service._answered(self._call)

    async def ended(self, outcome: Outcome, reason: str = "", code: str = "") -> None:
        await self._service._ended(self._call, outcome, reason, code)


class CallService:
    """Starts calls through one dialer and keeps their record on the log."""

    def __init__(
        self,
        event_log: CallRecord,
        store: OfficerStore,
        dialer: Dialer,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.log = event_log
        self.store = store
        self.dialer = dialer
        self.settings = settings
        self._clock = clock
        self._calls: OrderedDict[str, Call] = OrderedDict()
        self._start_lock = asyncio.Lock()

    @property
    def dialer_actor(self) -> str:
        return f"dialer:{self.dialer.name}"

    def get(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    def active(self) -> list[Call]:
        return [c for c in self._calls.values() if not c.ended]

    async def recover(self) -> int:
        """Close on the record the calls a previous run left open (it stopped mid-call)."""
        stale = await self.store.open_calls()
        for row in stale:
            if not row.get("live", True):  # a drill's call: its stream ended with the server
                await self.store.forget_call(row["call_id"])
                continue
            action = Action(
                action=ActionName.CALL_ENDED,
                event_id=row["event_id"],
                actor=f"dialer:{row.get('dialer', '?')}",
                at=self._clock(),
                data={
                    "call_id": row["call_id"],
                    "outcome": "failed",
                    "duration_s": 0.0,
                    "reason": "the server stopped during the call; how it ended was not seen",
                    "reason_code": "server_stopped",
                },
            )
            await self.log.append([action])
            await self.store.forget_call(row["call_id"])
        return len(stale)

    async def start(
        self,
        event_id: str,
        officer_id: str,
        actor: str = "operator",
        *,
        record: CallRecord | None = None,
    ) -> Call:
        """Start a call from an event (or situation: the caller has checked it is on `record`'s
        stream) to an officer, logged on `record` (default the live log); CallError (404/409)
        when it cannot be asked for, CallFailed when the dialer could not place it (recorded as
        failed)."""
        record = record or self.log
        async with self._start_lock:
            officer = await self.store.get(officer_id)
            if officer is None:
                raise CallError(
                    404, "unknown_officer", f"no officer {officer_id!r} in the directory"
                )
            try:
                target = self.dialer.target(officer)
            except DialerError as exc:
                raise CallError(409, exc.code, exc.message) from None
            call = Call(
                call_id=f"call-{secrets.token_hex(6)}",
                event_id=event_id,
                officer_id=officer.id,
                dialer=self.dialer.name,
                number=target.number,
                actor=actor,
                started_at=self._clock(),
                record=record,
                details=dict(target.details),
            )
            data: dict[str, Any] = {
                "call_id": call.call_id,
                "officer_id": officer.id,
                "officer_name": officer.name_ko,
                "officer_name_en": officer.name_en,
                "role": officer.role,
                "department": officer.department,
                "level": officer.level.value,
                "dialer": call.dialer,
            }  # no number or address: the log and its recordings carry no personal contacts
            if officer.demo:
                data["demo"] = True
            await self.store.remember_call(
                call.call_id,
                {
                    "call_id": call.call_id,
                    "event_id": event_id,
                    "dialer": call.dialer,
                    "live": record is self.log,
                },
            )
            try:
                await self._append(call, ActionName.CALL_STARTED, actor, data, at=call.started_at)
            except CityboardError:  # not on the record: no call
                await self.store.forget_call(call.call_id)
                raise
            self._remember(call)
            call.status = self.dialer.initial_status
            request = CallRequest(
                call_id=call.call_id,
                event_id=event_id,
                officer=officer,
                target=target,
                no_answer_seconds=self.settings.call_no_answer_seconds,
                max_seconds=self.settings.call_max_seconds,
            )
            try:
                await self.dialer.dial(request, _Progress(self, call))
            except DialerError as exc:
                await self._ended(call, "failed", exc.message, exc.code)
                raise CallFailed(call, exc) from None
            except Exception as exc:  # a third-party dialer's bug must not leave the call open
                log.exception("dialer %s failed on call %s", call.dialer, call.call_id)
                error = DialerError(f"the {call.dialer} dialer failed: {type(exc).__name__}: {exc}")
                await self._ended(call, "failed", error.message, "dialer_failed")
                raise CallFailed(call, error) from None
            return call

    async def hangup(self, call_id: str, outcome: Outcome | None = None) -> Call:
        """End a call (the operator asked); returns it, ended. A finished call is returned as is."""
        call = self._calls.get(call_id)
        if call is None:
            raise CallError(404, "unknown_call", f"no call {call_id!r} (or it ended long ago)")
        if not call.ended:
            call.marked = True
            await self.dialer.hangup(call_id, outcome)
        if not call.ended:  # a dialer that did not report the end: do not leave it open
            await self._ended(
                call, outcome or "cancelled", "hung up by the operator", "operator_hangup"
            )
        return call

    async def close(self) -> None:
        """Server shutdown: the dialer ends its calls; anything still open is closed here."""
        try:
            await self.dialer.close()
        except Exception:
            log.exception("dialer %s failed to close", self.dialer.name)
        for call in self.active():
            await self._ended(
                call, "failed", "the server shut down during the call", "server_shutdown"
            )

    # ------------------------------------------------------------------- the record

    def _remember(self, call: Call) -> None:
        self._calls[call.call_id] = call
        ended = [c.call_id for c in self._calls.values() if c.ended]
        for call_id in ended[: max(0, len(ended) - ENDED_CALLS_KEPT)]:
            del self._calls[call_id]

    async def _append(
        self,
        call: Call,
        name: ActionName,
        actor: str,
        data: dict[str, Any],
        *,
        at: datetime | None = None,
    ) -> None:
        action = Action(
            action=name, event_id=call.event_id, actor=actor, at=at or self._clock(), data=data
        )
        await call.record.append([action])

    async def _ringing(self, call: Call) -> None:
        async with call.lock:
            if call.ended or call.ringing_at is not None or call.answered_at is not None:
                return
            call.ringing_at = self._clock()
            call.status = "ringing"
            await self._record(
                call, ActionName.CALL_RINGING, {"call_id": call.call_id}, call.ringing_at
            )

    async def _answered(self, call: Call) -> None:
        async with call.lock:
            if call.ended or call.answered_at is not None:
                return
            call.answered_at = self._clock()
            call.status = "answered"
            await self._record(
                call, ActionName.CALL_ANSWERED, {"call_id": call.call_id}, call.answered_at
            )

    async def _ended(self, call: Call, outcome: str, reason: str = "", code: str = "") -> None:
        """Close the call on the record; `code` names the reason for boards to say it in their
        language (REASON_CODES), `reason` is the words for people and logs."""
        async with call.lock:
            if call.ended:
                return
            if outcome not in OUTCOMES:
                reason = f"the dialer reported an unknown outcome {outcome!r}: {reason}"
                outcome = "failed"
            call.ended_at = self._clock()
            call.outcome = outcome  # type: ignore[assignment]
            call.reason = reason[:500]
            call.reason_code = code[:MAX_REASON_CODE_CHARS]
            call.status = "ended"
            if call.answered_at is not None:
                talk = (call.ended_at - call.answered_at).total_seconds()
            elif call.marked and outcome in ("answered", "handed_off"):
                # a handed-off call: from hand-off to the operator's mark (the phone is unseen)
                talk = (call.ended_at - call.started_at).total_seconds()
            else:
                talk = 0.0
            call.duration_s = round(max(talk, 0.0), 1)
            data: dict[str, Any] = {
                "call_id": call.call_id,
                "outcome": outcome,
                "duration_s": call.duration_s,
            }
            if call.reason:
                data["reason"] = call.reason
            if call.reason_code:
                data["reason_code"] = call.reason_code
            await self._record(call, ActionName.CALL_ENDED, data, call.ended_at)
            call.finished.set()
            try:
                await self.store.forget_call(call.call_id)
            except CityboardError:
                log.warning("could not clear call %s from the open calls", call.call_id)

    async def _record(
        self, call: Call, name: ActionName, data: dict[str, Any], at: datetime
    ) -> None:
        """Append one step of a call; a log failure is logged, the call goes on."""
        try:
            await self._append(call, name, self.dialer_actor, data, at=at)
        except CityboardError as exc:
            log.error("call %s: could not log %s: %s", call.call_id, name.value, exc.message)

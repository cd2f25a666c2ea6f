"""The `tel` dialer: the board opens a `tel:` link and any softphone or desk phone places the call.

The server cannot see that call, so it records what it knows: `call_started` with the `tel:` URI
handed to the operator's phone, then `call_ended` when the operator marks the call over
(`POST /api/calls/{id}/hangup`, optionally with the outcome they saw) — outcome `handed_off` when
they do not say — or, if nobody marks it, after `call_max_seconds` with outcome `handed_off`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from server.officers.dialers.base import CallEvents, CallRequest, CallTarget, Dialer, Outcome
from server.officers.model import Officer
from server.settings import Settings


class TelDialer(Dialer):
    """Hands the call to the operator's own phone through a `tel:` link."""

    name = "tel"
    initial_status = "handed_off"

    def __init__(self, settings: Settings, options: Mapping[str, Any]) -> None:
        super().__init__(settings, options)
        self._open: dict[str, tuple[CallEvents, asyncio.Task[None]]] = {}

    def target(self, officer: Officer) -> CallTarget:
        return CallTarget(officer.phone, {"tel_uri": officer.tel_uri})

    async def dial(self, call: CallRequest, events: CallEvents) -> None:
        expiry = asyncio.create_task(self._expire(call, events), name=f"tel-{call.call_id}")
        self._open[call.call_id] = (events, expiry)

    async def _expire(self, call: CallRequest, events: CallEvents) -> None:
        await asyncio.sleep(call.max_seconds)
        self._open.pop(call.call_id, None)
        await events.ended(
            "handed_off",
            f"not marked ended by the operator within {call.max_seconds:g} s",
            "not_marked",
        )

    async def hangup(self, call_id: str, outcome: Outcome | None = None) -> None:
        found = self._open.pop(call_id, None)
        if found is None:
            return
        events, expiry = found
        expiry.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await expiry
        await events.ended(
            outcome or "handed_off", "marked ended by the operator", "operator_marked"
        )

    async def close(self) -> None:
        for call_id in list(self._open):
            events, expiry = self._open.pop(call_id)
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry
            await events.ended(
                "handed_off", "the server shut down before the call was marked", "server_shutdown"
            )

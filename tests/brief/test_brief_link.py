"""A briefing link from the board: a browser holding the operator token cannot send it with a plain
link, so the board asks for a short-lived signed ticket and opens `/brief?ticket=…` with it."""

from __future__ import annotations

import time

from server.http.brief import TICKET_SECONDS, Tickets
from tests.conftest import StartServer
from tests.officers.helpers import OPERATOR_TOKEN

BEARER = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


async def test_an_operator_gets_a_ticket_that_opens_the_briefing_and_a_viewer_does_not(
    start_server: StartServer,
) -> None:
    running = await start_server(operator_token=OPERATOR_TOKEN)
    session, http = running.session, running.http
    async with session.post(f"{http}/api/brief/link") as r:
        assert r.status == 401, "a viewer gets no ticket"
    async with session.post(f"{http}/api/brief/link", headers=BEARER) as r:
        assert r.status == 200
        ticket = (await r.json())["ticket"]
    async with session.get(f"{http}/brief", params={"ticket": ticket, "lang": "en"}) as r:
        assert r.status == 200 and "<html" in await r.text()
    forged = ticket[:-1] + ("0" if ticket[-1] != "0" else "1")
    for bad in (forged, "", "9999999999.x", "x.y", "1." + ticket.split(".")[1]):
        async with session.get(f"{http}/brief", params={"ticket": bad}) as r:
            assert r.status == 401, bad


def test_a_ticket_expires_and_is_bound_to_the_key() -> None:
    tickets = Tickets(b"k" * 32)
    now = time.time()
    ticket = tickets.issue(now)
    assert tickets.valid(ticket, now + TICKET_SECONDS - 1)
    assert not tickets.valid(ticket, now + TICKET_SECONDS + 1)
    assert not Tickets(b"j" * 32).valid(ticket, now), "another key: another node's secret"
    assert Tickets.keyed("tok").valid(Tickets.keyed("tok").issue(now), now), "nodes sharing a token"

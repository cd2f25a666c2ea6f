"""The directory over HTTP: what a viewer's search may and may not reach."""

from __future__ import annotations

from typing import Any

from tests.conftest import StartServer
from tests.officers.helpers import ADMIN_TOKEN, OPERATOR_TOKEN, officer, put_officer

VIEWER = {"X-Forwarded-For": "203.0.113.7"}  # another machine, no token
OPERATOR = {**VIEWER, "Authorization": f"Bearer {OPERATOR_TOKEN}"}


async def test_viewers_cannot_find_officers_by_their_phone_or_sip_address(
    start_server: StartServer,
) -> None:
    running = await start_server(admin_token=ADMIN_TOKEN, operator_token=OPERATOR_TOKEN)
    await put_officer(
        running, officer("kim", phone="+82 10-1234-5678", sip_uri="sip:kim@pbx.example.org")
    )

    async def found(q: str, headers: dict[str, str]) -> list[str]:
        async with running.session.get(
            f"{running.http}/api/officers", params={"q": q}, headers=headers
        ) as r:
            body: dict[str, Any] = await r.json()
            assert r.status == 200, body
            return [o["id"] for o in body["officers"]]

    # digit by digit, a viewer would recover the number: no contact field answers a viewer
    for q in ("+8210", "+821012345678", "1234", "pbx.example", "sip:kim"):
        assert await found(q, VIEWER) == [], q
        assert await found(q, OPERATOR) == ["kim"], q
    # who an officer is stays searchable for everyone
    assert await found("Officer kim", VIEWER) == ["kim"]
    assert await found("duty officer", VIEWER) == ["kim"]

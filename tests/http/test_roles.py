"""Roles: who may act on events over the websocket (and what the welcome tells the board)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from server.errors import BadToken
from server.http.roles import role_of
from server.settings import Settings
from tests.conftest import Running, StartServer, event_dict
from tests.replay.test_replay import make_recording, start_replay
from tests.wsclient import BoardClient

OPERATOR = "wall-operator-token"
ADMIN = "wall-admin-token"


@pytest.mark.parametrize(
    ("operator", "token", "local", "expected"),
    [
        (None, None, True, "operator"),  # the server's own PC works out of the box
        (None, None, False, "viewer"),  # nothing from the network acts by accident
        (OPERATOR, None, True, "viewer"),  # once a token is set, everyone shows it
        (OPERATOR, OPERATOR, False, "operator"),
        (OPERATOR, ADMIN, False, "admin"),
        (None, ADMIN, False, "admin"),
    ],
)
def test_the_role_follows_the_token_and_the_machine(
    operator: str | None, token: str | None, local: bool, expected: str
) -> None:
    settings = Settings(
        operator_token=SecretStr(operator) if operator else None, admin_token=SecretStr(ADMIN)
    )
    assert role_of(settings, token, local=local) == expected


def test_a_wrong_token_is_refused_not_downgraded_silently() -> None:
    settings = Settings(operator_token=SecretStr(OPERATOR))
    with pytest.raises(BadToken):
        role_of(settings, "guess", local=True)


async def _board(running: Running, **hello: Any) -> tuple[BoardClient, dict[str, Any]]:
    board = await BoardClient.connect(running.session, running.ws_url, **hello)
    return board, await board.next_of("welcome")


async def _ack(board: BoardClient) -> dict[str, Any]:
    await board.send({"type": "action", "action": "ack", "event_id": "test:e1", "ref": "a1"})
    while True:
        message = await board.next()
        if message["type"] in ("result", "error") and message.get("ref") == "a1":
            return message


async def test_with_an_operator_token_a_board_without_it_watches_but_cannot_act(
    start_server: StartServer,
) -> None:
    running = await start_server(operator_token=OPERATOR)
    await running.push([event_dict(1)])

    viewer, welcome = await _board(running)
    assert welcome["role"] == "viewer"
    await viewer.next_of("snapshot")
    refused = await _ack(viewer)
    assert refused["type"] == "error" and refused["code"] == "forbidden", refused
    assert running.board.log.head == 1, "a viewer's action is logged nowhere"

    operator, welcome = await _board(running, token=OPERATOR)
    assert welcome["role"] == "operator"
    done = await _ack(operator)
    assert done["type"] == "result" and done["seq"] == 2
    await viewer.until_seq(2)  # the viewer still sees what operators do


async def test_a_wrong_token_is_told_and_the_board_goes_on_as_a_viewer(
    start_server: StartServer,
) -> None:
    running = await start_server(operator_token=OPERATOR)
    await running.push([event_dict(1)])
    board = await BoardClient.connect(running.session, running.ws_url, token="stale")
    first = await board.next()
    assert first["type"] == "error" and first["code"] == "bad_token", first
    assert (await board.next_of("welcome"))["role"] == "viewer"
    await board.next_of("snapshot")


async def test_without_a_token_only_this_machine_acts(start_server: StartServer) -> None:
    running = await start_server()
    await running.push([event_dict(1)])
    local, welcome = await _board(running)
    assert welcome["role"] == "operator"
    assert (await _ack(local))["type"] == "result"

    relayed = await running.session.ws_connect(
        running.ws_url, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    remote = BoardClient(relayed)
    await remote.send({"type": "hello"})
    assert (await remote.next_of("welcome"))["role"] == "viewer"
    assert (await _ack(remote))["code"] == "forbidden"


async def test_operators_control_a_running_replay_but_only_admins_start_one(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server(operator_token=OPERATOR, admin_token=ADMIN)
    await start_replay(running, make_recording(tmp_path / "r.jsonl"), speed=1)
    remote = {"X-Forwarded-For": "203.0.113.7"}  # through a proxy: not this machine

    async def control(token: str | None) -> int:
        headers = {**remote, **({"Authorization": f"Bearer {token}"} if token else {})}
        async with running.session.post(
            f"{running.http}/api/replays/r1/control", json={"op": "pause"}, headers=headers
        ) as r:
            return r.status

    assert await control(None) == 403
    assert await control("guess") == 403
    assert await control(OPERATOR) == 200
    async with running.session.delete(
        f"{running.http}/api/replays/r1",
        headers={**remote, "Authorization": f"Bearer {OPERATOR}"},
    ) as r:
        assert r.status == 403, "stopping a replay is the admin's"
    async with running.session.delete(
        f"{running.http}/api/replays/r1", headers={**remote, "Authorization": f"Bearer {ADMIN}"}
    ) as r:
        assert r.status in (200, 204)

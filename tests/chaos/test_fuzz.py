"""Nonsense from the network: fuzzed push bodies and websocket messages against a real server.
Whatever arrives, the answer is a coded refusal or a stored event — never a 500, a dropped
connection or a changed log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from tests.conftest import PUSH_TOKEN, event_dict
from tests.process import ServerProcess

pytestmark = pytest.mark.slow

EXAMPLES = 150
ACCEPTED = {202, 400, 413, 415}  # stored, or refused with the API's error shape

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)
# plausible events with one field made wrong: the interesting boundary, not just garbage
broken_events = st.builds(
    lambda field, value: {**event_dict("fuzz"), field: value},
    st.sampled_from([*sorted(event_dict("x")), "district", "expires_at", "refs", "extra"]),
    json_values,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path_factory.mktemp("fuzz") / "log.db").start()
    yield running
    running.stop()


def head(server: ServerProcess) -> int:
    with urllib.request.urlopen(f"{server.http}/readyz", timeout=5) as resp:
        value: int = json.loads(resp.read())["head"]
        return value


def post(server: ServerProcess, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{server.http}/api/push/fuzz",
        data=body,
        headers={"Authorization": f"Bearer {PUSH_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        broken_events.map(lambda v: json.dumps(v).encode()),
        st.lists(broken_events, min_size=1, max_size=3).map(lambda v: json.dumps(v).encode()),
    )
)
def test_fuzzed_push_bodies_are_stored_or_refused_never_a_500(
    server: ServerProcess, body: bytes
) -> None:
    before = head(server)
    status, answer = post(server, body)
    assert status in ACCEPTED, (status, answer)
    if status == 202:
        appended = [r for r in answer["results"] if r["outcome"] == "appended"]
        assert head(server) == before + len(appended)
    else:
        assert set(answer["error"]) >= {"code", "message"}, answer
        assert head(server) == before, "a refused request stores nothing"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.one_of(
        st.text(max_size=300),
        json_values.map(json.dumps),
        st.dictionaries(
            st.sampled_from(["v", "type", "action", "event_id", "data", "filter", "resume"]),
            json_values,
            max_size=6,
        ).map(json.dumps),
    )
)
def test_fuzzed_websocket_messages_get_an_answer_and_the_socket_lives(
    server: ServerProcess, message: str
) -> None:
    before = head(server)
    with connect(server.ws_url, open_timeout=5, close_timeout=2) as ws:
        ws.send('{"v":1,"type":"hello"}')
        while json.loads(ws.recv(timeout=5))["type"] != "snapshot":
            pass
        ws.send(message)
        ws.send('{"v":1,"type":"ping"}')
        kinds = []
        while not kinds or kinds[-1] != "pong":
            kinds.append(json.loads(ws.recv(timeout=5))["type"])
        assert set(kinds) <= {"error", "pong", "batch", "feeds", "snapshot", "situations"}, kinds
    assert head(server) in (before, before + 1), "at most the one action a message may log"


def test_the_server_is_healthy_after_the_fuzzing(server: ServerProcess) -> None:
    with urllib.request.urlopen(f"{server.http}/healthz", timeout=5) as resp:
        assert resp.status == 200
    assert head(server) >= 0
    assert Path(server.log_path).read_text().count("Traceback") == 0

"""The sans-I/O protocol: message parsing, start decisions and the rate limiter, without sockets."""

from __future__ import annotations

import orjson
import pytest

from server.errors import ProtocolError
from server.stream import protocol
from server.stream.log import EventFilter


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "bad_json"),
        (b"[1,2]", "bad_message"),
        (b'{"v":1}', "unknown_type"),
        (b'{"v":1,"type":"subscribe"}', "unknown_type"),
        (b'{"type":"ping"}', "bad_version"),
        (b'{"v":1,"type":"hello","resume":{"epoch":"x","after_seq":-1}}', "bad_message"),
        (b'{"v":1,"type":"hello","stream":"archive"}', "unknown_stream"),
        (b'{"v":1,"type":"action","action":"call_started","event_id":"a:1"}', "bad_message"),
        (b'{"v":1,"type":"ping","surprise":1}', "bad_message"),
    ],
)
def test_bad_messages_raise_with_the_reply_code(raw: bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as info:
        protocol.parse_client_message(raw)
    assert info.value.code == code


def test_nesting_is_bounded_at_the_named_depth() -> None:
    """Action data may nest up to MAX_MESSAGE_DEPTH levels (the message itself is the first)."""

    def action(levels: int) -> bytes:
        data = "[" * (levels - 2) + "]" * (levels - 2)
        return b'{"v":1,"type":"action","action":"note","event_id":"a:1","data":{"x":%s}}' % (
            data.encode()
        )

    deepest = protocol.parse_client_message(action(protocol.MAX_MESSAGE_DEPTH))
    assert isinstance(deepest, protocol.ActionRequest)
    for levels in (protocol.MAX_MESSAGE_DEPTH + 1, 300, 5000):
        with pytest.raises(ProtocolError) as info:
            protocol.parse_client_message(action(levels))
        assert info.value.code == "bad_message"
        assert f"deeper than {protocol.MAX_MESSAGE_DEPTH}" in info.value.message


def test_hello_with_resume_and_filter_parses() -> None:
    hello = protocol.parse_client_message(
        orjson.dumps(
            {
                "v": 1,
                "type": "hello",
                "resume": {"epoch": "e", "after_seq": 4},
                "filter": {"kinds": ["traffic", "disaster"], "severities": ["severe"]},
            }
        )
    )
    assert isinstance(hello, protocol.Hello)
    assert hello.resume == protocol.Resume(epoch="e", after_seq=4)
    assert hello.filter.to_filter() == EventFilter(
        kinds=("disaster", "traffic"), severities=("severe",)
    )


@pytest.mark.parametrize(
    ("resume", "mode"),
    [
        (None, "snapshot"),
        (protocol.Resume(epoch="E", after_seq=0), "snapshot"),  # 100 missed > 11
        (protocol.Resume(epoch="E", after_seq=100), "resume"),
        (protocol.Resume(epoch="E", after_seq=101), "snapshot"),
        (protocol.Resume(epoch="E", after_seq=89), "resume"),
        (protocol.Resume(epoch="E", after_seq=88), "snapshot"),
        (protocol.Resume(epoch="other", after_seq=100), "snapshot"),
    ],
)
def test_start_mode(resume: protocol.Resume | None, mode: str) -> None:
    assert protocol.start_mode(resume, epoch="E", head=100, resume_max_entries=11) == mode


def test_token_bucket_allows_bursts_then_the_rate() -> None:
    bucket = protocol.TokenBucket(rate=2.0, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.4) is False
    assert bucket.take(0.5) is True  # 0.5 s at 2/s refilled one token
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False], "capped at burst"


def test_server_messages_are_versioned_json() -> None:
    [raw] = protocol.snapshot(
        seq=3,
        events=[b'{"a":1}', b'{"b":2}'],
        truncated=False,
        feeds=[],
        workflows={"x:1": {"state": "new"}},
    )
    assert orjson.loads(raw) == {
        "v": 1,
        "type": "snapshot",
        "seq": 3,
        "part": 0,
        "parts": 1,
        "truncated": False,
        "feeds": [],
        "workflows": {"x:1": {"state": "new"}},
        "events": [{"a": 1}, {"b": 2}],
    }
    batch = orjson.loads(protocol.batch([], head=9))
    assert batch == {"v": 1, "type": "batch", "head": 9, "entries": []}
    assert orjson.loads(protocol.error("x", "y"))["code"] == "x"


def test_a_big_snapshot_comes_in_parts_the_first_with_feeds_and_workflows() -> None:
    n = 2 * protocol.SNAPSHOT_PART_EVENTS + 1
    parts = [
        orjson.loads(raw)
        for raw in protocol.snapshot(
            seq=7,
            events=[b'{"n":%d}' % i for i in range(n)],
            truncated=True,
            feeds=[{"feed": "f"}],
            workflows={"x:1": {"state": "acked"}},
        )
    ]
    assert [(p["part"], p["parts"], p["seq"], p["truncated"]) for p in parts] == [
        (0, 3, 7, True),
        (1, 3, 7, True),
        (2, 3, 7, True),
    ]
    assert [e["n"] for p in parts for e in p["events"]] == list(range(n)), "in order, none twice"
    assert parts[0]["feeds"] == [{"feed": "f"}] and parts[0]["workflows"] == {
        "x:1": {"state": "acked"}
    }
    assert all("feeds" not in p and "workflows" not in p for p in parts[1:])
    [empty] = protocol.snapshot(seq=0, events=[], truncated=False, feeds=[], workflows={})
    assert orjson.loads(empty)["events"] == [] and orjson.loads(empty)["parts"] == 1

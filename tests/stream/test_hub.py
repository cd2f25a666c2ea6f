"""The hub builds each frame once, never waits on a client, and drops a client that falls behind."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from server.stream import events
from server.stream.hub import Client, Hub, text_frame
from server.stream.log import Committed, EventFilter
from tests.conftest import make_event


class FakeTransport:
    """Records writes; `stuck` keeps everything buffered, like a peer that stopped reading."""

    def __init__(self, stuck: bool = False) -> None:
        self.writes: list[bytes] = []
        self.stuck = stuck
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        if self.stuck:
            self.buffered += len(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return False

    def batches(self) -> list[dict]:
        out = []
        for frame in self.writes:
            n = frame[1] & 0x7F
            offset = 2 if n < 126 else 4 if n == 126 else 10
            out.append(orjson.loads(frame[offset:]))
        return out

    def seqs(self) -> list[int]:
        return [e["seq"] for b in self.batches() for e in b["entries"]]


def committed(seq: int, kind: str = "traffic") -> Committed:
    ev = make_event(seq, kind=kind)
    raw = events.encode_entry(seq, "ep", "2026-11-29T00:00:00Z", "event", ev.dump())
    return Committed(seq, "event", ev.event_id, ev.kind.value, ev.severity.value, ev.district, raw)


def hub(limit: int = 1 << 20) -> Hub:
    return Hub(buffer_limit_bytes=limit, batch_max_entries=500)


def test_text_frame_lengths_follow_rfc6455() -> None:
    assert text_frame(b"x" * 5)[:2] == b"\x81\x05"
    assert text_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame(b"x" * 70_000)[:2] == b"\x81\x7f" and len(text_frame(b"x" * 70_000)) == 70_010


def test_one_frame_is_built_per_publish_whatever_the_client_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dumps = 0
    original = events.Event.dump

    def counting_dump(self: events.Event) -> bytes:
        nonlocal dumps
        dumps += 1
        return original(self)

    monkeypatch.setattr(events.Event, "dump", counting_dump)
    h = hub()
    transports = [FakeTransport() for _ in range(200)]
    for t in transports:
        h.subscribe(Client(t, on_slow=lambda: None), catching_up=False)
    entries = [committed(i) for i in range(1, 11)]
    assert dumps == 10
    h.publish(entries)
    assert dumps == 10, "publishing never re-serialises an entry"
    assert h.frames_built == 1, "one frame for 200 clients"
    first = transports[0].writes
    assert all(t.writes == first for t in transports) and len(first) == 1
    assert all(t.writes[0] is first[0] for t in transports), "the very same bytes object"
    assert transports[0].seqs() == list(range(1, 11))


def test_clients_with_the_same_filter_share_a_frame() -> None:
    h = hub()
    disaster = EventFilter(kinds=("disaster",))
    a, b, c = FakeTransport(), FakeTransport(), FakeTransport()
    h.subscribe(Client(a, on_slow=lambda: None, filter=disaster), catching_up=False)
    h.subscribe(Client(b, on_slow=lambda: None, filter=disaster), catching_up=False)
    h.subscribe(Client(c, on_slow=lambda: None), catching_up=False)
    h.publish([committed(1, "traffic"), committed(2, "disaster")])
    assert h.frames_built == 2
    assert a.seqs() == b.seqs() == [2] and c.seqs() == [1, 2]
    assert a.batches()[0]["head"] == 2


def test_a_stuck_client_is_dropped_and_the_others_keep_receiving() -> None:
    h = hub(limit=64 * 1024)
    slow_calls: list[str] = []
    stuck, healthy = FakeTransport(stuck=True), FakeTransport()
    slow = Client(stuck, on_slow=lambda: slow_calls.append("slow"))
    h.subscribe(slow, catching_up=False)
    h.subscribe(Client(healthy, on_slow=lambda: None), catching_up=False)
    for seq in range(1, 301):
        h.publish([committed(seq)])
    assert slow_calls == ["slow"] and h.slow_closed == 1
    assert slow not in h.clients
    largest = max(len(w) for w in stuck.writes)
    assert stuck.buffered <= 64 * 1024 + largest, "bounded: the limit plus at most one frame"
    assert healthy.seqs() == list(range(1, 301))


def test_catch_up_holds_live_entries_and_merges_by_seq() -> None:
    h = hub()
    t = FakeTransport()
    client = Client(t, on_slow=lambda: None)
    h.subscribe(client, catching_up=True)
    h.publish([committed(5), committed(6)])
    h.publish([committed(7)])
    assert t.writes == [], "nothing is written while the backlog is being sent"
    h.go_live(client, sent_up_to=6)  # the backlog already covered 5 and 6
    assert t.seqs() == [7]
    h.publish([committed(8)])
    assert t.seqs() == [7, 8]


def test_entries_committed_before_the_read_but_published_after_going_live_are_not_repeated() -> (
    None
):
    h = hub()
    t = FakeTransport()
    client = Client(t, on_slow=lambda: None)
    h.subscribe(client, catching_up=True)
    h.go_live(client, sent_up_to=7)  # its snapshot already saw seqs up to 7
    h.publish([committed(6), committed(7), committed(8)])  # the writer publishes late
    assert t.seqs() == [8]


def test_pending_entries_are_bounded_too() -> None:
    h = hub(limit=64 * 1024)
    calls: list[int] = []
    client = Client(FakeTransport(), on_slow=lambda: calls.append(1))
    h.subscribe(client, catching_up=True)
    for seq in range(1, 200):
        h.publish([committed(seq)])
    assert calls == [1] and client not in h.clients


WINDOW = 0.05  # a coalescing window long enough for a slow CI machine to publish three entries


def coalescing_hub(duty_factor: float = 1e9) -> Hub:
    """A hub whose window is the whole `WINDOW` (its deliveries count as costly) unless told."""
    return Hub(
        buffer_limit_bytes=1 << 20,
        batch_max_entries=500,
        coalesce_seconds=WINDOW,
        duty_factor=duty_factor,
    )


class SlowTransport(FakeTransport):
    """A write that takes `seconds`, as a thousand boards' writes would together."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def write(self, data: bytes) -> None:
        time.sleep(self.seconds)
        super().write(data)


async def test_the_window_follows_what_a_delivery_costs() -> None:
    cheap, costly = coalescing_hub(duty_factor=4), coalescing_hub(duty_factor=4)
    fast, slow = FakeTransport(), SlowTransport(0.01)
    cheap.subscribe(Client(fast, on_slow=lambda: None), catching_up=False)
    costly.subscribe(Client(slow, on_slow=lambda: None), catching_up=False)
    for h in (cheap, costly):
        h.publish([committed(1)])
    await asyncio.sleep(0.02)  # far more than 4 cheap deliveries, less than four 10 ms ones
    for h in (cheap, costly):
        h.publish([committed(2)])
    assert fast.seqs() == [1, 2], "few boards: the next entry leaves at once"
    assert slow.seqs() == [1], "a costly delivery opens a window: the entry waits for it"
    await asyncio.sleep(WINDOW * 2)
    assert slow.seqs() == [1, 2]


async def test_what_on_deliver_costs_is_not_taken_for_writing_and_comes_after_the_frames() -> None:
    h = coalescing_hub(duty_factor=4)
    t = FakeTransport()
    h.subscribe(Client(t, on_slow=lambda: None), catching_up=False)
    told: list[tuple[list[int], int]] = []

    def slow_book(entries: list[Committed]) -> None:
        told.append(([e.seq for e in entries], len(t.writes)))
        time.sleep(0.01)  # a costly fold: four times it would open a 40 ms window

    h.on_deliver = slow_book
    h.publish([committed(1)])
    assert told == [([1], 1)], "told once the frame is written"
    await asyncio.sleep(0.02)
    h.publish([committed(2)])
    assert t.seqs() == [1, 2], "one cheap board: the next entry leaves at once"


async def test_an_idle_hub_delivers_at_once_and_a_busy_one_joins_entries_into_one_frame() -> None:
    h = coalescing_hub()
    t = FakeTransport()
    h.subscribe(Client(t, on_slow=lambda: None), catching_up=False)
    h.publish([committed(1)])
    assert t.seqs() == [1], "idle: the first entry goes out in the same turn, no waiting"
    h.publish([committed(2)])
    h.publish([committed(3)])
    assert t.seqs() == [1], "within the window after a frame, entries wait for the next one"
    await asyncio.sleep(WINDOW * 3)
    assert [[e["seq"] for e in b["entries"]] for b in t.batches()] == [[1], [2, 3]]
    assert t.batches()[1]["head"] == 3
    await asyncio.sleep(WINDOW * 2)  # idle again
    h.publish([committed(4)])
    assert t.seqs() == [1, 2, 3, 4]


async def test_a_frame_leaves_as_soon_as_it_holds_what_the_commit_rate_brings_in_a_window() -> None:
    h = Hub(
        buffer_limit_bytes=1 << 20, batch_max_entries=500, coalesce_seconds=0.5, duty_factor=1e9
    )
    t = FakeTransport()
    h.subscribe(Client(t, on_slow=lambda: None), catching_up=False)
    h.publish([committed(1)])
    await asyncio.sleep(0.3)  # commits ~0.3 s apart: a 0.5 s window brings two
    h.publish([committed(2)])
    assert t.seqs() == [1], "within the window: the entry waits for company"
    await asyncio.sleep(0.03)
    h.publish([committed(3)])
    assert [[e["seq"] for e in b["entries"]] for b in t.batches()] == [[1], [2, 3]], (
        "two entries: the frame leaves now, not at the window's end"
    )


async def test_flush_sends_what_waits_and_clients_going_live_meanwhile_get_no_repeats() -> None:
    h = coalescing_hub()
    live, joining = FakeTransport(), FakeTransport()
    h.subscribe(Client(live, on_slow=lambda: None), catching_up=False)
    h.publish([committed(1)])
    h.publish([committed(2)])  # waits for the window
    late = Client(joining, on_slow=lambda: None)
    h.subscribe(late, catching_up=True)
    h.go_live(late, sent_up_to=2)  # its backlog read already saw 2 (committed, not yet sent)
    h.publish([committed(3)])
    h.flush()  # e.g. on shutdown: nothing waits for the timer
    assert live.seqs() == [1, 2, 3] and joining.seqs() == [3]
    await asyncio.sleep(WINDOW * 2)
    assert live.seqs() == [1, 2, 3], "the cancelled timer sends nothing twice"


def test_without_a_window_every_publish_is_written_at_once() -> None:
    h = hub()
    t = FakeTransport()
    h.subscribe(Client(t, on_slow=lambda: None), catching_up=False)
    for seq in (1, 2, 3):
        h.publish([committed(seq)])
    assert len(t.writes) == 3 and t.seqs() == [1, 2, 3]


async def test_a_replaced_history_drops_what_waits_for_the_window() -> None:
    h = coalescing_hub()
    t = FakeTransport()
    h.subscribe(Client(t, on_slow=lambda: None), catching_up=False)
    h.publish([committed(1)])
    h.publish([committed(2)])  # waits for the window
    h.drop_waiting()  # e.g. a shared log recreated under us: 2 belongs to the old history
    await asyncio.sleep(WINDOW * 2)
    assert t.seqs() == [1], "what waited is never sent, and its timer sends nothing"

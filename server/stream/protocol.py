"""The board protocol without I/O: parse client messages, decide how to start, build replies.

Pure functions and small state objects (no sockets, no clock reads) so every rule of
docs/protocol.md is testable in microseconds; `server/ws.py` does the I/O around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError, field_validator

from server.errors import ProtocolError
from server.stream.events import (
    MAX_ACTION_DATA_BYTES,
    REFERENCE_KINDS,
    ActionName,
    Frozen,
    Identifier,
    Kind,
    Severity,
)
from server.stream.log import EventFilter

PROTOCOL_VERSION = 1
REPLAY_NAME = r"[a-z0-9][a-z0-9_-]{0,39}"  # a replay's stream is `replay:<name>`
STREAM_PATTERN = re.compile(rf"^(live|public|replay:{REPLAY_NAME})$")
MAX_FILTER_VALUES = 100
MAX_MESSAGE_DEPTH = 32  # nesting of objects and arrays in one inbound message
# Events per `snapshot` message: a board parses and draws each part in a task of its own, so 5,000
# events never make one ~4 MB message whose decoding alone blocks the page (issue 13).
SNAPSHOT_PART_EVENTS = 500


class FilterSpec(Frozen):
    """What a board wants to see; empty lists mean everything."""

    kinds: list[Kind] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    severities: list[Severity] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    districts: list[Annotated[Identifier, Field(max_length=32)]] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES
    )

    @field_validator("kinds")
    @classmethod
    def _incidents_only(cls, v: list[Kind]) -> list[Kind]:
        if reference := sorted(k.value for k in v if k.value in REFERENCE_KINDS):
            raise ValueError(f"{', '.join(reference)} is reference data, not on boards")
        return v

    def to_filter(self) -> EventFilter:
        """The log's filter for this spec (sorted, so equal specs share one hub frame)."""
        return EventFilter(
            kinds=tuple(sorted(k.value for k in self.kinds)),
            severities=tuple(sorted(s.value for s in self.severities)),
            districts=tuple(sorted(self.districts)),
        )


class Resume(Frozen):
    """Where a reconnecting client left off."""

    epoch: Annotated[Identifier, Field(max_length=64)]
    after_seq: int = Field(ge=0)


class _Message(Frozen):
    v: Literal[1]


class Hello(_Message):
    """First message of every connection."""

    type: Literal["hello"]
    token: Annotated[Identifier, Field(max_length=512)] | None = None
    resume: Resume | None = None
    stream: Annotated[str, Field(max_length=100)] = "live"
    filter: FilterSpec = Field(default_factory=FilterSpec)
    # the snapshot's parts as binary frames of UTF-8 JSON: a browser reads them for about half
    # the CPU of text frames (docs/performance.md); text stays the default for other clients
    binary_snapshot: bool = False


class SetFilter(_Message):
    """Change what this connection receives; answered with a fresh snapshot."""

    type: Literal["filter"]
    filter: FilterSpec


# what a board may ask for: the workflow and the situation acts; calls and escalation steps are
# logged by the server only
BOARD_ACTIONS = frozenset(
    {ActionName.ACK, ActionName.ASSIGN, ActionName.NOTE, ActionName.RESOLVE}
    | {a for a in ActionName if a.startswith("situation_")}
)


def _by_operator(action: ActionName) -> ActionName:
    """Refuse the actions only the server writes."""
    if action not in BOARD_ACTIONS:
        raise ValueError(f"{action.value!r} is logged by the server, not sent by a board")
    return action


class ActionRequest(_Message):
    """An operator action on an event, to be logged and seen by every board."""

    type: Literal["action"]
    action: Annotated[ActionName, AfterValidator(_by_operator)]
    event_id: Annotated[Identifier, Field(min_length=3, max_length=200)]
    data: dict[str, Any] = Field(default_factory=dict)
    ref: Annotated[Identifier, Field(max_length=64)] | None = None
    # who is acting, as the board's operator typed it; a label for the record, not an identity
    # check (roles and logins come later)
    actor: Annotated[Identifier, Field(min_length=1, max_length=100)] | None = None


class Ping(_Message):
    """Client-side liveness probe."""

    type: Literal["ping"]
    ref: Annotated[Identifier, Field(max_length=64)] | None = None


ClientMessage = Annotated[Hello | SetFilter | ActionRequest | Ping, Field(discriminator="type")]
_client_message: TypeAdapter[Hello | SetFilter | ActionRequest | Ping] = TypeAdapter(ClientMessage)
_KNOWN_TYPES = ("hello", "filter", "action", "ping")


def parse_client_message(text: str | bytes) -> Hello | SetFilter | ActionRequest | Ping:
    """Decode and validate one inbound message, or raise ProtocolError with the reply's code.
    Types are strict: a string is not a number, a boolean not a version."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):  # orjson's own bound, far above ours
            raise _too_deep() from None
        raise ProtocolError(f"not JSON: {exc}", code="bad_json") from None
    if _depth(data) > MAX_MESSAGE_DEPTH:
        raise _too_deep()
    if not isinstance(data, dict):
        raise ProtocolError("a message is a JSON object", code="bad_message")
    if data.get("type") not in _KNOWN_TYPES:
        raise ProtocolError(
            f"unknown message type {data.get('type')!r}; expected one of {', '.join(_KNOWN_TYPES)}",
            code="unknown_type",
        )
    if data.get("v") != PROTOCOL_VERSION or isinstance(data.get("v"), bool):  # True == 1
        raise ProtocolError(
            f'protocol version {data.get("v")!r} is not supported; send "v": 1',
            code="bad_version",
        )
    try:
        message = _client_message.validate_json(text, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ProtocolError(f"{where}: {first['msg']}", code="bad_message") from None
    if isinstance(message, Hello) and not STREAM_PATTERN.match(message.stream):
        raise ProtocolError(
            f"no stream {message.stream!r}; streams are 'live', 'public' and 'replay:<name>'",
            code="unknown_stream",
        )
    if (
        isinstance(message, ActionRequest)
        and len(orjson.dumps(message.data)) > MAX_ACTION_DATA_BYTES
    ):
        raise ProtocolError(
            f"data is larger than {MAX_ACTION_DATA_BYTES} bytes", code="bad_message"
        )
    return message


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in a decoded message, found without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_MESSAGE_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _too_deep() -> ProtocolError:
    return ProtocolError(
        f"objects and arrays nest deeper than {MAX_MESSAGE_DEPTH} levels", code="bad_message"
    )


StartMode = Literal["resume", "snapshot"]


def start_mode(
    resume: Resume | None, *, epoch: str, head: int, resume_max_entries: int, first_seq: int = 1
) -> StartMode:
    """Resume only when the client's history is ours, not ahead of us, and the gap is small
    (and, for streams that keep only recent entries, still held: from `first_seq` on)."""
    if resume is None or resume.epoch != epoch:
        return "snapshot"
    if resume.after_seq < first_seq - 1:
        return "snapshot"
    if resume.after_seq > head:
        return "snapshot"  # a future seq: the client saw a history we no longer have
    if head - resume.after_seq > resume_max_entries:
        return "snapshot"
    return "resume"


@dataclass
class TokenBucket:
    """Inbound rate limit: `rate` messages per second with bursts up to `burst`; time is given."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    last: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self, now: float) -> bool:
        """Spend one token at monotonic time `now`; False when the client is over its rate."""
        if self.last is not None:
            self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


# ---------------------------------------------------------------------- server → client


def _message(type_: str, **fields: Any) -> bytes:
    return orjson.dumps({"v": PROTOCOL_VERSION, "type": type_, **fields})


def welcome(
    *,
    epoch: str,
    head: int,
    server_time: str,
    city: dict[str, Any],
    mode: StartMode,
    demo: bool,
    limits: dict[str, float],
    stream: str = "live",
    role: str = "viewer",
    replay: dict[str, Any] | None = None,
    public: dict[str, Any] | None = None,
) -> bytes:
    """First server message: which history this is, how the connection will start and what it
    may do (`role`: viewer, operator, admin); for a replay stream, the player's state (what the
    banner and scrubber show); for the public stream, its rules that citizens are told."""
    return _message(
        "welcome",
        epoch=epoch,
        head=head,
        server_time=server_time,
        city=city,
        stream=stream,
        mode=mode,
        demo=demo,
        role=role,
        limits=limits,
        replay=replay,
        **({} if public is None else {"public": public}),
    )


def snapshot(
    *,
    seq: int,
    events: list[bytes],
    truncated: bool,
    feeds: list[Any],
    workflows: dict[str, Any],
) -> list[bytes]:
    """The active events consistent with `seq` in parts of SNAPSHOT_PART_EVENTS (`part` of
    `parts`, at least one); the first also carries the feeds and the workflow of those acted on.
    Event bodies are joined, not re-encoded."""
    size = SNAPSHOT_PART_EVENTS
    parts = max(1, -(-len(events) // size))
    head = b'{"v":1,"type":"snapshot","seq":%d,"truncated":%s' % (
        seq,
        b"true" if truncated else b"false",
    )
    first = b',"feeds":%s,"workflows":%s' % (orjson.dumps(feeds), orjson.dumps(workflows))
    return [
        b'%s,"part":%d,"parts":%d%s,"events":[%s]}'
        % (
            head,
            part,
            parts,
            first if part == 0 else b"",
            b",".join(events[part * size : (part + 1) * size]),
        )
        for part in range(parts)
    ]


def batch(entries: Iterable[bytes], *, head: int) -> bytes:
    """Entries in seq order plus the head the client may resume from; entries are pre-encoded."""
    return b'{"v":1,"type":"batch","head":%d,"entries":[%s]}' % (head, b",".join(entries))


def feeds(health: list[Any], log: dict[str, Any] | None = None) -> bytes:
    """Feed health and the log's (`{ok, problem}`: a board whose log is unreachable must say its
    picture may be out of date), sent periodically; also the heartbeat a browser can see."""
    return _message("feeds", health=health, log=log or {"ok": True, "problem": None})


def situations(
    *,
    seq: int,
    full: bool,
    situations: list[dict[str, Any]],
    clusters: list[dict[str, Any]],
    removed: list[str],
) -> bytes:
    """Situations and complaint clusters as of `seq`: the whole set (`full`, which replaces the
    board's), or the ones that changed and the ids that are gone (docs/situations.md)."""
    return _message(
        "situations",
        seq=seq,
        full=full,
        situations=situations,
        clusters=clusters,
        removed=removed,
    )


def replay_status(status: dict[str, Any]) -> bytes:
    """A replay's player state (position, speed, paused…), for its banner and scrubber."""
    return _message("replay", status=status)


def result(*, ref: str | None, seq: int) -> bytes:
    """Acknowledges an action request with the seq it was logged at."""
    return _message("result", ref=ref, seq=seq)


def pong(*, ref: str | None, server_time: str) -> bytes:
    """Answer to a ping."""
    return _message("pong", ref=ref, server_time=server_time)


def error(code: str, message: str, *, ref: str | None = None) -> bytes:
    """An error the client can act on by its code."""
    return _message("error", code=code, message=message, ref=ref)

"""Recordings: a stream's entries as JSON Lines behind one header line, optionally gzipped.

Read and written as a stream, line by line, so a recording of millions of entries needs no more
memory than one line. See docs/recording-format.md for the format and what readers accept.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from server.errors import RecordingError
from server.stream.events import (
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    Action,
    Event,
    Kind,
    Notice,
    Severity,
    Status,
    iso_utc,
)

log = logging.getLogger(__name__)

FORMAT = "cityboard-recording"
FORMAT_VERSION = 1
READABLE_VERSIONS = (1,)
GZIP_MAGIC = b"\x1f\x8b"
MAX_LINE_BYTES = 1024 * 1024  # a longer line is not a log entry
READ_BUFFER_BYTES = 64 * 1024  # a plain recording is read in these (not 8 KiB: 15 lines a read)


@dataclass
class Header:
    """The first line of a recording: what it is, where from, and its span."""

    city: str = ""
    timezone: str = "UTC"
    stream: str = "live"
    epoch: str = ""
    start: str | None = None
    end: str | None = None
    entries: int = 0
    exercise: bool = False
    synthetic: bool = False
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "city": self.city,
            "timezone": self.timezone,
            "stream": self.stream,
            "epoch": self.epoch,
            "start": self.start,
            "end": self.end,
            "entries": self.entries,
            "exercise": self.exercise,
            "synthetic": self.synthetic,
            "description": self.description,
            **self.extra,
        }
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, line: bytes, path: Path | str) -> Header:
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise RecordingError(
                f"{path}: line 1 is not JSON; this is not a cityboard recording"
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordingError(f"{path}: line 1 is not a {FORMAT} header; wrong file type?")
        version = data.get("format_version")
        if version not in READABLE_VERSIONS:
            raise RecordingError(
                f"{path}: format_version {version!r} is not readable by this cityboard "
                f"(reads {', '.join(map(str, READABLE_VERSIONS))}); upgrade cityboard"
            )
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        extra = {k: v for k, v in data.items() if k not in known | {"format", "format_version"}}
        return cls(**{k: v for k, v in data.items() if k in known}, extra=extra)


@dataclass
class ReadStats:
    """What a read met besides good entries."""

    truncated_tail: bool = False
    skipped_lines: list[int] = field(default_factory=list)

    def skip(self, number: int) -> None:
        """Count a skipped line once, however often it is reread (loops, seeks, the seek index):
        a read starts where all earlier bad lines are counted, so a new one is past the last."""
        if not self.skipped_lines or number > self.skipped_lines[-1]:
            self.skipped_lines.append(number)


def _open_bytes(path: Path, shown_as: str | None = None) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (by its content, not its name)."""
    try:
        with path.open("rb") as probe:
            gzipped = probe.read(2) == GZIP_MAGIC
    except OSError as exc:
        raise RecordingError(f"cannot read {shown_as or path}: {exc.strerror}") from None
    if gzipped:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb", buffering=READ_BUFFER_BYTES)


def read_header(path: Path, shown_as: str | None = None) -> Header:
    """Only the header line, to describe a recording without reading it; errors name the file
    `shown_as` (what a remote caller gave) instead of its path on this machine."""
    with _open_bytes(path, shown_as) as f:
        return Header.from_json(f.readline(MAX_LINE_BYTES), shown_as or path)


def read_entries(
    path: Path, *, skip_bad: bool = False, stats: ReadStats | None = None
) -> Iterator[dict[str, Any]]:
    """The entries of a recording, in order, one at a time (see `read_lines`)."""
    for _, _, _, entry in read_lines(path, skip_bad=skip_bad, stats=stats):
        yield entry


def read_lines(
    path: Path,
    *,
    skip_bad: bool = False,
    stats: ReadStats | None = None,
    after: tuple[int, int] | None = None,
) -> Iterator[tuple[int, int, datetime, dict[str, Any]]]:
    """The entries of a recording with their line number, the offset where the next line starts
    (so a reader can later resume just past any of them with `after=(line, offset)`) and their
    time `at`, parsed once here where a line without an aware one is named as bad.

    Offsets count the decompressed bytes: a plain file seeks at once, a gzip one decompresses up to
    the offset (without parsing it). A truncated last line (a crash mid-write) is tolerated with a
    warning. A bad line elsewhere raises RecordingError naming its line number, or is skipped and
    counted with `skip_bad`.
    """
    stats = stats if stats is not None else ReadStats()
    with _open_bytes(path) as f:
        if after is None:
            header = f.readline(MAX_LINE_BYTES)
            Header.from_json(header, path)
            number, offset = 1, len(header)
        else:
            number, offset = after
            f.seek(offset)
        pending: tuple[int, bytes] | None = None  # a bad line is only fatal if more lines follow
        try:
            for line in iter(partial(f.readline, MAX_LINE_BYTES + 1), b""):
                number += 1
                offset += len(line)
                if pending is not None:
                    _bad(path, *pending, skip_bad=skip_bad, stats=stats)
                    pending = None
                if len(line) > MAX_LINE_BYTES:  # no entry: the rest is passed over, never held
                    start, rest, line = line[:80], line, b""
                    while not rest.endswith(b"\n") and (rest := f.readline(MAX_LINE_BYTES)):
                        offset += len(rest)
                    pending = (number, start + rest[-1:])  # ends as the line did
                    continue
                if line.isspace():  # a blank line (isspace: no copy of every line, as strip made)
                    continue
                try:
                    entry = orjson.loads(line)
                    if not isinstance(entry, dict) or "seq" not in entry or "body" not in entry:
                        raise ValueError("not a log entry")
                    at = datetime.fromisoformat(entry.get("at"))  # type: ignore[arg-type]
                    if at.tzinfo is None:
                        raise ValueError("a naive time")
                except (TypeError, ValueError):
                    pending = (number, line)
                    continue
                yield number, offset, at, entry
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            stats.truncated_tail = True
            log.warning(
                "%s: the compressed data ends early (%s); read up to line %d", path, exc, number
            )
            return
        if pending is not None:
            number, line = pending
            if line.endswith(b"\n"):
                _bad(path, number, line, skip_bad=skip_bad, stats=stats)
            else:
                stats.truncated_tail = True
                log.warning(
                    "%s: line %d is cut short (the recording was interrupted); ignored it",
                    path,
                    number,
                )


def _bad(path: Path, number: int, line: bytes, *, skip_bad: bool, stats: ReadStats) -> None:
    if not skip_bad:
        raise RecordingError(f"{path}: line {number} is not a log entry: {line[:80]!r}")
    stats.skip(number)


class RecordingWriter:
    """Writes a recording: entries go to a temporary file, the header (with span and count)
    is written first when the recording is closed, so a reader always meets the header first."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        self.header = header
        self._body = tempfile.NamedTemporaryFile(
            "w+b",
            dir=path.parent if path.parent.exists() else None,
            delete=False,
            prefix=f".{path.name}.",
            suffix=".part",
        )
        self.count = 0
        self.last_seq = 0

    def write(self, entry: dict[str, Any] | bytes) -> None:
        """Append one entry (a decoded dict, or its JSON bytes as the server sent it)."""
        data = entry if isinstance(entry, bytes) else orjson.dumps(entry)
        decoded = orjson.loads(data) if isinstance(entry, bytes) else entry
        at = decoded["at"]
        if self.header.start is None:
            self.header.start = at
        self.header.end = at
        self.last_seq = int(decoded["seq"])
        self._body.write(data + b"\n")
        self.count += 1

    def close(self) -> None:
        """Write header + entries to `path` (gzip when it ends in .gz) and remove the temp file."""
        self.header.entries = self.count
        self._body.flush()
        self._body.seek(0)
        tmp = self.path.with_name(f".{self.path.name}.writing")
        opener: Any = gzip.open if self.path.suffix == ".gz" else open
        with opener(tmp, "wb") as out:
            out.write(self.header.to_json() + b"\n")
            while chunk := self._body.read(io.DEFAULT_BUFFER_SIZE * 16):
                out.write(chunk)
        self._body.close()
        os.unlink(self._body.name)
        os.replace(tmp, self.path)


def parse_when(value: str) -> datetime:
    """A --since/--until/--start time: ISO 8601 with a zone (naive times are refused)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordingError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise RecordingError(f"{value!r} has no time zone; add Z or +09:00")
    return moment


def at_of(entry: dict[str, Any]) -> datetime:
    """When an entry was committed."""
    return datetime.fromisoformat(str(entry["at"]))


EVENT_TIME_FIELDS = ("sent_at", "updated_at", "expires_at", "received_at")  # an event's times
TIME_FIELDS = (*EVENT_TIME_FIELDS, "at")  # and those of actions and notices
SHIFT_MEMO_ENTRIES = 4_096  # recent times a TimeShift remembers (then it starts afresh)
# a time as the log writes it (iso_utc): to the second, then six digits of fraction unless zero
LOG_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})((?:\.(?!000000)[0-9]{6})?Z)"
)

# the keys of an event body as the log writes it (Frozen.dump: every field but the unset optional
# ones); `updated_at` is always set by then
EVENT_FIELDS = frozenset(Event.model_fields)
EVENT_KEYS = frozenset(
    name for name, f in Event.model_fields.items() if f.default is not None or f.is_required()
) | {"updated_at"}
# every (kind, severity, status) an event may have: one test for the three
VOCABULARY = frozenset((k.value, s.value, t.value) for k in Kind for s in Severity for t in Status)
MAX_KEY_LAYOUTS = 64  # event bodies' key layouts remembered as in the log's form or not


class TimeShift:
    """Moves recorded times by one shift, remembering recent answers: a recording repeats its times
    (an event's `sent_at` in each version, `received_at` beside `at`), and parsing is the cost.
    A shift of whole seconds moves a time in the log's form by its second alone (its fraction
    stays as written), so a recording's many times within one second cost one parse."""

    def __init__(self, shift: timedelta) -> None:
        self.shift = shift
        self._whole_seconds = not shift.microseconds
        self._memo: dict[str, str] = {}
        # the parts of times seen in the log's form: "YYYY-MM-DDTHH:MM:SS" (moved), ".ffffffZ"/"Z"
        self._seconds: dict[str, str] = {}
        self._fractions: set[str] = set()

    def apply(self, data: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
        """A copy of `data` with the times under `keys` moved."""
        moved = dict(data)
        for key in keys:
            value = moved.get(key)
            if value:
                moved[key] = self.move(value if type(value) is str else str(value))
        return moved

    def move(self, value: str) -> str:
        """One time moved (ValueError when it is not one)."""
        return self._memo.get(value) or self._move(value)

    def _move(self, value: str) -> str:
        if len(self._memo) >= SHIFT_MEMO_ENTRIES:
            self._memo.clear()
            self._seconds.clear()
            self._fractions.clear()
        second, fraction = value[:19], value[19:]
        if fraction in self._fractions and second in self._seconds:  # both parts seen: no parse
            moved = self._seconds[second] + fraction
        elif self._whole_seconds and LOG_TIME.fullmatch(value) is not None:
            moved = self._seconds.get(second) or self._move_second(second)
            moved += fraction
            self._fractions.add(fraction)
        else:
            moved = iso_utc(datetime.fromisoformat(value) + self.shift)
        self._memo[value] = moved
        return moved

    def _move_second(self, second: str) -> str:
        moved = self._seconds[second] = (datetime.fromisoformat(second) + self.shift).isoformat()
        return moved


def shifted(data: dict[str, Any], shift: TimeShift | None, keys: Sequence[str]) -> dict[str, Any]:
    """`data` with the times under `keys` moved by `shift` (a copy; `data` itself without one)."""
    return data if shift is None else shift.apply(data, keys)


class EncodedEvent(NamedTuple):
    """An event as a replay's state keys it, with its JSON. A recording's bodies in the log's own
    form become one without a second model (the log validated them when they were appended)."""

    event_id: str
    version: int
    kind: str
    severity: str
    status: str
    district: str | None
    updated_at: str
    json: bytes

    @classmethod
    def of(cls, event: Event) -> EncodedEvent:
        """A model's fields and JSON, for events that did not come from a recording."""
        return cls(
            event.event_id,
            event.version,
            event.kind.value,
            event.severity.value,
            event.status.value,
            event.district,
            iso_utc(event.updated_at or event.sent_at),
            event.dump(),
        )


@lru_cache(maxsize=MAX_KEY_LAYOUTS)
def _in_log_form(keys: tuple[str, ...]) -> bool:
    """Whether an event body with these keys has the log's; a recording repeats a few layouts,
    so each is judged once (the set tests cost more than the rest of the checks together)."""
    names = frozenset(keys)
    return EVENT_KEYS <= names <= EVENT_FIELDS and ("geometry" in names) == ("point" in names)


def _recorded_event(body: dict[str, Any], shift: TimeShift | None) -> EncodedEvent | None:
    """The body, its times moved by `shift`, as a EncodedEvent if it has exactly the log's form
    (keys, vocabulary, UTC times); None sends it through the model, which fills defaults and
    says what is wrong."""
    if not _in_log_form(tuple(body)):
        return None
    event_id, version, district = body["event_id"], body["version"], body.get("district")
    kind, severity, status = body["kind"], body["severity"], body["status"]
    sent_at, updated_at = body["sent_at"], body["updated_at"]
    received_at, expires_at = body["received_at"], body.get("expires_at")
    title, description, url = body["title"], body.get("description", ""), body.get("url")
    try:  # an unhashable or non-text value fails a test with TypeError or AttributeError
        if not (  # what a person sees is checked as the model would (a hand-edited recording)
            type(title) is str
            and 0 < len(title) <= MAX_TITLE_CHARS
            and title == title.strip()
            and type(description) is str
            and len(description) <= MAX_DESCRIPTION_CHARS
            and (url is None or (type(url) is str and url.startswith(("https://", "http://"))))
            and type(event_id) is str
            and type(version) is int
            and version >= 1
            and (kind, severity, status) in VOCABULARY
            and (district is None or type(district) is str)
            and sent_at.endswith("Z")
            and updated_at.endswith("Z")
            and received_at.endswith("Z")
            and (expires_at is None or expires_at.endswith("Z"))
        ):
            return None
    except (TypeError, AttributeError):
        return None
    if shift is not None:  # the log's form has these times as text: a copy, no key loop
        move = shift.move  # an event's times are often one time: moved once
        moved = move(sent_at)
        updated_at = moved if updated_at == sent_at else move(updated_at)
        body = dict(body)  # the caller's stays as recorded
        body["sent_at"] = moved
        body["updated_at"] = updated_at
        body["received_at"] = moved if received_at == sent_at else move(received_at)
        if expires_at is not None:
            body["expires_at"] = move(expires_at)
    return EncodedEvent(
        event_id, version, kind, severity, status, district, updated_at, orjson.dumps(body)
    )


def event_of(body: Any, shift: TimeShift | None) -> EncodedEvent:
    """A recorded event body, moved by `shift`: as it stands when in the log's form, else through
    the model (which fills defaults, or raises ValueError on a bad body or time)."""
    if not isinstance(body, dict):
        return EncodedEvent.of(Event.model_validate(body))
    recorded = _recorded_event(body, shift)
    if recorded is not None:
        return recorded
    return EncodedEvent.of(Event.model_validate(shifted(body, shift, EVENT_TIME_FIELDS)))


Recorded = Action | Notice | EncodedEvent  # a recorded body, ready to publish


def body_of(entry: dict[str, Any], shift: TimeShift | None) -> Recorded | None:
    """The entry's body ready to publish, with its times moved by `shift` when shifting."""
    kind = entry.get("type")
    try:
        if kind == "event":
            return event_of(entry["body"], shift)
        body = shifted(entry["body"], shift, TIME_FIELDS)
        if kind == "action":
            return Action.model_validate(body)
        if kind == "notice":
            return Notice.model_validate(body)
    except ValueError as exc:
        log.warning("replay skipped entry %s: %s", entry.get("seq"), exc)
    return None

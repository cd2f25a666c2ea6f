"""One exception root, so callers can catch everything cityboard raises on purpose.

Every error carries a `code`, a stable machine-readable string sent to clients, and a message for
a person. The whole tree (each defined here, except CallFailed, which holds a call):

CityboardError
├── ConfigError            the configuration cannot be used (bad file, bad value)
├── LogError               the durable log cannot do what was asked
│   ├── LogClosed          appending after the log was closed
│   └── LogLocked          another server writes this database (one writer per database)
├── ProtocolError          a websocket client sent something the server does not accept
├── BadToken               a token was shown that is neither the operator's nor the admin's
├── FeedError              an adapter's trouble, recorded on the feed's health
│   ├── FeedUnavailable    the upstream cannot be reached: retry later, keep the board
│   └── FeedRejected       this document is bad: skip it, count it, keep going
├── RecordingError         a recording cannot be read or written (which line, and why)
├── ReplayError            a replay command cannot be carried out
├── BriefError             a briefing cannot be made as asked (bad period, format or language)
├── DialerError            a dialer cannot place a call (no SIP URI, line busy, unreachable…)
├── CallError              a call request that cannot be served (with its HTTP status)
├── CallFailed             the dialer failed a call that is on the record (server/officers/calls.py)
├── NotifierError          a notifier could not deliver an escalation step (webhook refused…)
└── OfficerImportError     a directory file with bad rows (each a RowError); nothing was stored
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class CityboardError(Exception):
    """Base of every deliberate cityboard error; carries a code a client can act on."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ConfigError(CityboardError):
    """Raised when settings cannot be loaded, so `serve` fails before opening anything."""

    code = "config"


class LogError(CityboardError):
    """Raised when the durable log refuses or fails an operation."""

    code = "log"


class LogClosed(LogError):
    """Raised on append after close, so a late writer fails loudly instead of losing data."""

    code = "log_closed"


class LogLocked(LogError):
    """Raised on open when another process holds the database's writer lock; names it."""

    code = "log_locked"


class ProtocolError(CityboardError):
    """Raised by the sans-I/O protocol for a message the server answers with an `error`."""

    code = "bad_message"


class FeedError(CityboardError):
    """Base of adapter errors; the runner records them on the feed's health."""

    code = "feed_error"


class FeedUnavailable(FeedError):
    """The upstream cannot be reached or answered badly: retry later, keep the board as it is."""

    code = "feed_unavailable"


class FeedRejected(FeedError):
    """This document is bad: skip it, count it on the feed's health, keep going."""

    code = "feed_rejected"


class RecordingError(CityboardError):
    """A recording cannot be read (or written); the message says which line and why."""

    code = "bad_recording"


class ReplayError(CityboardError):
    """A replay command cannot be carried out; the code tells the client why."""

    code = "replay"


class BriefError(CityboardError):
    """A briefing cannot be made as asked; the message names the flag and what it takes."""

    code = "bad_brief"


class DialerError(CityboardError):
    """The dialer cannot place this call; `code` says why (`no_sip_uri`, `line_busy`,
    `dialer_unreachable`, `dial_refused`...) and the message says what to do."""

    code = "dialer_failed"


class NotifierError(CityboardError):
    """A notifier could not deliver; the escalation step's result says `failed` and why."""

    code = "notifier_failed"


class CallError(CityboardError):
    """A call request that cannot be served; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message, code=code, details=extra)
        self.status = status


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: where (row, line, officer id), which field, what."""

    row: int | None
    field: str | None
    message: str
    id: str | None = None
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "field": self.field, "message": self.message}
        if self.id is not None:
            data["id"] = self.id
        if self.line is not None:
            data["line"] = self.line
        return data

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        if self.line is not None:
            where += f" (line {self.line})"
        if self.id:
            where += f" [{self.id}]"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class OfficerImportError(CityboardError):
    """A directory file with bad rows; `details` lists every RowError and nothing was stored."""

    code = "invalid_officers"

    def __init__(self, errors: Sequence[RowError], total: int) -> None:
        rows = {e.row for e in errors if e.row is not None}
        if rows:
            message = (
                f"{len(rows)} of {total} rows are invalid; nothing was imported"
                f" (first: {errors[0]})"
            )
        else:
            message = f"the file cannot be imported: {errors[0]}"
        super().__init__(message, details=list(errors))
        self.errors = list(errors)


class BadToken(CityboardError):
    """A token was shown and it is neither the operator's nor the admin's."""

    code = "bad_token"

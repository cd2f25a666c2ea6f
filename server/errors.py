"""One exception root so callers can catch everything cityboard raises on purpose.

CityboardError                 code: a stable machine-readable string sent to clients
├── ConfigError                the configuration cannot be used (bad file, bad value)
├── LogError                   the durable log cannot do what was asked
│   └── LogClosed              appending after the log was closed
├── ProtocolError              a websocket client sent something we do not accept
└── IngestError                a pushed document is not a valid set of events
"""

from __future__ import annotations

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


class ProtocolError(CityboardError):
    """Raised by the sans-I/O protocol for a message the server answers with an `error`."""

    code = "bad_message"


class IngestError(CityboardError):
    """Raised when pushed events are invalid; nothing from that request is stored."""

    code = "invalid_event"

"""One writer per database: an OS lock beside the log file, released by the kernel when its
holder exits (even by kill -9), so a second server on the same database refuses to start."""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from server.errors import LogLocked


class WriterLock:
    """An exclusive `flock` on `<database>.lock`, which also names its holder for the refusal."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise LogLocked saying who holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 1024).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise LogLocked(
                f"the log {self.database} is in use by {holder}: stop that server first, or give"
                " this one its own --db"
            ) from None
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            f"cityboard pid {os.getpid()} on {socket.gethostname()} since {started}\n".encode(),
            0,
        )
        self._fd = fd

    def release(self) -> None:
        """Let the next writer in (closing the file drops the lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

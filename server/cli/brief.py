"""`cityboard brief`: the shift briefing of a period, from a log file or a recording."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from server.brief.build import BriefBuilder
from server.brief.period import period
from server.brief.render import FORMATS, render
from server.brief.words import LANGUAGES
from server.districts import Districts
from server.errors import BriefError, LogError
from server.replay.recording import read_entries, read_header
from server.settings import Settings, load_settings
from server.situations import SituationBook
from server.stream.events import utcnow
from server.stream.sqlite import LogFile


def add_parser(sub: Any) -> None:
    """The `brief` command and its flags."""
    cmd = sub.add_parser("brief", help="the shift briefing of a period (html, md or json)")
    cmd.add_argument("--since", default="8h", help="start: a duration back (8h, 90m) or ISO time")
    cmd.add_argument("--until", help="end: a duration back or an ISO time (default: now)")
    cmd.add_argument(
        "--format", choices=FORMATS, help="default: by the --out file's suffix, else md"
    )
    cmd.add_argument("--lang", default="ko", choices=LANGUAGES, help="default ko")
    source = cmd.add_mutually_exclusive_group()
    source.add_argument(
        "--db", type=Path, help="a cityboard log file (default: the configured one)"
    )
    source.add_argument(
        "--recording",
        type=Path,
        help="a recording; durations then count back from its end, not from now",
    )
    cmd.add_argument("--out", type=Path, help="write here instead of to standard output")
    cmd.add_argument("--config", type=Path, help="TOML settings file (city, zone, districts)")


def run(args: argparse.Namespace) -> int:
    """Build the briefing, render it, print or write it."""
    settings = load_settings(args.config)
    districts = Districts.load(settings.districts_path)
    if args.recording is not None:
        header = read_header(args.recording)  # a wrong file fails here, with the reason
        now = datetime.fromisoformat(header.end) if header.end else utcnow()
        span = period(args.since, args.until, now)
        builder = BriefBuilder(
            span,
            header.city or settings.city_name,
            header.timezone,
            args.recording.name,
            book=SituationBook(settings.situations),
            city_names=settings.city_names if header.city in ("", settings.city_name) else {},
        )
        entries: Iterator[dict[str, Any]] = read_entries(args.recording)
    else:
        span = period(args.since, args.until, utcnow())
        builder = BriefBuilder(
            span,
            settings.city_name,
            settings.city_timezone,
            "log",
            book=SituationBook(settings.situations),
            city_names=settings.city_names,
        )
        entries = _log_entries(_db_path(args, settings), span.end)
    for entry in entries:
        builder.add(entry)
    text = render(builder.briefing(), _format(args), args.lang, districts)
    if args.out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BriefError(f"cannot write {args.out}: {exc.strerror}") from None
    return 0


def _format(args: argparse.Namespace) -> str:
    """--format, else the one the --out file's suffix names (brief.html), else Markdown."""
    suffix = args.out.suffix.lstrip(".").lower() if args.out is not None else ""
    return str(args.format or (suffix if suffix in FORMATS else "md"))


def _db_path(args: argparse.Namespace, settings: Settings) -> Path:
    if args.db is not None:
        return Path(args.db)
    if settings.log_backend != "sqlite":
        raise BriefError(
            "the configured log is on Redis: ask a server for GET /brief, or give --db or"
            " --recording"
        )
    return settings.db_path


def _log_entries(db: Path, until: datetime) -> Iterator[dict[str, Any]]:
    """A log file's entries before `until` (all of them: what is open needs the past too)."""
    try:
        log_file = LogFile(db)
    except LogError as exc:
        raise BriefError(exc.message) from None
    with log_file:
        for seq, _, at, type_, body in log_file.rows(until=until):
            yield {"seq": seq, "at": at, "type": type_, "body": orjson.loads(body)}

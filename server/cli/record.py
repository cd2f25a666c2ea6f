"""`cityboard record` and `cityboard replay`: write recordings, and play them on a server."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from server.cli.follow import Follower, note
from server.errors import CityboardError, LogError, RecordingError
from server.replay.recording import Header, RecordingWriter, at_of, parse_when, read_header
from server.settings import load_settings
from server.stream.events import iso_utc
from server.stream.sqlite import LogFile

PROGRESS_EVERY = 5_000  # entries between progress lines on long exports


def add_parsers(sub: Any) -> None:
    """The `record` and `replay` commands and their flags."""
    record_cmd = sub.add_parser("record", help="write a recording of a stream or of a log file")
    record_cmd.add_argument("out", type=Path, help="the recording to write (.jsonl, or .jsonl.gz)")
    source = record_cmd.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--server",
        help="websocket URL of a running server, e.g. "
        "ws://127.0.0.1:8080/ws (records as entries arrive)",
    )
    source.add_argument("--db", type=Path, help="a cityboard log file (exports what it holds)")
    record_cmd.add_argument("--since", help="first entry time to keep (ISO 8601 with a zone)")
    record_cmd.add_argument("--until", help="stop before this time (ISO 8601 with a zone)")
    record_cmd.add_argument("--stream", default="live", help="with --server: live or replay:<name>")
    record_cmd.add_argument(
        "--after-seq", type=int, help="with --server and --epoch: start after it"
    )
    record_cmd.add_argument("--epoch", help="with --server: the epoch --after-seq belongs to")
    record_cmd.add_argument("--count", type=int, help="with --server: stop after this many entries")
    record_cmd.add_argument(
        "--exercise", action="store_true", help="mark the recording an exercise"
    )
    record_cmd.add_argument("--description", default="", help="a line saying what this is")

    replay_cmd = sub.add_parser("replay", help="play a recording on a running server")
    replay_cmd.add_argument("file", type=Path, help="the recording (.jsonl or .jsonl.gz)")
    replay_cmd.add_argument("--server", default="http://127.0.0.1:8080", help="the server's URL")
    replay_cmd.add_argument("--name", help="the replay stream's name (default: from the file name)")
    replay_cmd.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="1 = as recorded, 60 = a minute a second, 0 = as fast as possible",
    )
    replay_cmd.add_argument("--loop", action="store_true", help="start over at the end")
    replay_cmd.add_argument("--start", help="begin at this recorded time (ISO 8601 with a zone)")
    replay_cmd.add_argument(
        "--exercise", action="store_true", help="show it as an EXERCISE (drill)"
    )
    replay_cmd.add_argument(
        "--real-calls",
        action="store_true",
        help="a drill whose calls ring real phones (logged on the drill); otherwise simulated",
    )
    replay_cmd.add_argument(
        "--keep-times",
        action="store_true",
        help="keep the recorded times instead of moving them to now",
    )
    replay_cmd.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip (and count) unreadable lines instead of refusing the file",
    )


def run_record(args: argparse.Namespace) -> int:
    """`cityboard record`."""
    return asyncio.run(record(args))


def run_replay(args: argparse.Namespace) -> int:
    """`cityboard replay`."""
    return asyncio.run(replay(args))


async def record(args: argparse.Namespace) -> int:
    """Write a recording from a log file or from a running server's websocket."""
    since = parse_when(args.since) if args.since else None
    until = parse_when(args.until) if args.until else None
    header = Header(
        stream=args.stream if args.server else "live",
        exercise=args.exercise,
        description=args.description,
    )
    if args.db is not None:  # a log file does not say its city: the settings do
        settings = load_settings()
        header.city, header.timezone = settings.city_name, settings.city_timezone
    writer = RecordingWriter(args.out, header)
    try:
        if args.db is not None:
            _export_db(args.db, writer, since, until)
        else:
            await _record_server(args, writer, since, until)
    except KeyboardInterrupt:
        note("stopped; writing what was recorded")
    finally:
        writer.close()
    note(f"wrote {writer.count} entries to {args.out}")
    return 0


def _export_db(
    db: Path, writer: RecordingWriter, since: datetime | None, until: datetime | None
) -> None:
    """Every entry of a log file in the time range, in seq order, with a progress line."""
    try:
        log_file = LogFile(db)
    except LogError as exc:
        raise RecordingError(exc.message) from None
    with log_file:
        total = log_file.count(since, until)
        writer.header.epoch = log_file.epoch
        for done, (seq, row_epoch, at, type_, body) in enumerate(log_file.rows(since, until), 1):
            writer.write(
                b'{"seq":%d,"epoch":"%s","at":"%s","type":"%s","body":%s}'
                % (seq, row_epoch.encode(), at.encode(), type_.encode(), body)
            )
            if done % PROGRESS_EVERY == 0 or done == total:
                print(
                    f"\r  {done:,}/{total:,} entries ({done * 100 // max(total, 1)}%)",
                    end="" if done < total else "\n",
                    file=sys.stderr,
                    flush=True,
                )


async def _record_server(
    args: argparse.Namespace,
    writer: RecordingWriter,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Record until --count, --until or a stop: SIGINT and SIGTERM (a service manager, `kill`)
    both end the recording as its end would, so the file is finished either way."""
    recording = asyncio.ensure_future(_follow_into(args, writer, since, until))
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop, recording.cancel)
    try:
        await recording
    except asyncio.CancelledError:
        note("stopped; writing what was recorded")
    finally:
        for stop in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(stop)


async def _follow_into(
    args: argparse.Namespace,
    writer: RecordingWriter,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Entries as a server publishes them, resuming across reconnects so nothing is missed."""
    follower = Follower(args.server, stream=args.stream, epoch=args.epoch, after=args.after_seq)
    async for entry in follower.entries():
        writer.header.epoch = follower.epoch or ""
        if follower.welcome.get("city"):
            writer.header.city = follower.welcome["city"].get("name", "")
            writer.header.timezone = follower.welcome["city"].get("timezone", "UTC")
        at = at_of(entry)
        if until is not None and at >= until:
            return
        if since is None or at >= since:
            writer.write(entry)
        writer.header.extra["gaps"] = follower.gaps
        if args.count is not None and writer.count >= args.count:
            return


async def replay(args: argparse.Namespace) -> int:
    """Upload a recording to a server and start playing it as `replay:<name>`."""
    header = read_header(args.file)  # refuse a wrong file here, with the reason
    name = args.name or _name_from(args.file)
    query: dict[str, Any] = {
        "name": name,
        "speed": args.speed,
        "loop": str(args.loop).lower(),
        "exercise": str(args.exercise or header.exercise).lower(),
        "real_calls": str(args.real_calls).lower(),
        "keep_times": str(args.keep_times).lower(),
        "skip_bad": str(args.skip_bad).lower(),
    }
    if args.start:
        query["start"] = iso_utc(parse_when(args.start))
    server = args.server.rstrip("/")
    if not server.startswith(("http://", "https://")):
        raise CityboardError(f"--server takes the server's http:// URL, not {args.server!r}")
    answer, status = await _upload(args.file, server, query)
    if status != 201:
        error = answer.get("error", {})
        raise CityboardError(
            f"the server refused the replay: {error.get('message', answer)}",
            code=error.get("code", "replay"),
        )
    print(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
    note(f"playing as {answer['stream']}: open {server}/?stream={answer['stream']}")
    return 0


async def _upload(path: Path, server: str, query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """POST the recording; a server that is not there, or is not cityboard, is one clear line."""
    try:
        with path.open("rb") as body:
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"{server}/api/replays",
                    params=query,
                    data=body,
                    headers={"Content-Type": "application/octet-stream"},
                ) as response,
            ):
                raw = await response.read()
    except aiohttp.ClientConnectorError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno and exc.errno > 0 else exc.strerror
        raise CityboardError(
            f"the server at {server} cannot be reached ({reason}); start one with"
            " `cityboard serve`, or point --server at a running one"
        ) from None
    except aiohttp.ClientError as exc:
        raise CityboardError(f"sending the recording to {server} failed: {exc}") from None
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise CityboardError(
            f"{server} answered HTTP {response.status} but not as cityboard does;"
            " is --server the board's URL?"
        )
    return answer, response.status


def _name_from(path: Path) -> str:
    stem = path.name.split(".")[0].lower()
    return re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-")[:40] or "replay"

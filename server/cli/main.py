"""The `cityboard` command: serve the board, follow or record a stream, replay a recording, and
list or check feed adapters."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import Any

import orjson

from server.cli.follow import Follower
from server.errors import CityboardError

TAIL_BACKOFF_FIRST_SECONDS = 0.5
TAIL_BACKOFF_MAX_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="cityboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the board server (demo stream on by default)")
    serve.add_argument("--config", type=Path, help="TOML settings file (see config.example.toml)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--db", type=Path, help="SQLite log file (default var/cityboard.db)")
    serve.add_argument("--no-demo", action="store_true", help="do not play the bundled demo stream")
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")

    tail = sub.add_parser("tail", help="print the live stream; resumes across reconnects")
    tail.add_argument("url", nargs="?", default="ws://127.0.0.1:8080/ws", help="websocket URL")
    tail.add_argument("--after-seq", type=int, help="resume after this seq (with --epoch)")
    tail.add_argument("--epoch", help="the stream epoch the seq belongs to")
    tail.add_argument("--json", action="store_true", help="print each entry as a JSON line")
    tail.add_argument("--count", type=int, help="exit after printing this many entries")
    tail.add_argument("--stream", default="live", help="live (default) or replay:<name>")

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

    feeds = sub.add_parser("feeds", help="list installed feed adapters, or check one on a file")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    feeds_sub.add_parser("list", help="installed adapters with their kinds and standard")
    check = feeds_sub.add_parser("check", help="run an adapter's parse on a saved document")
    check.add_argument("adapter", help="adapter name, as in `cityboard feeds list`")
    check.add_argument("file", type=Path, help="the saved document")
    check.add_argument("--json", action="store_true", help="print one normalized event per line")
    check.add_argument(
        "--config",
        type=Path,
        help="TOML with the feed's settings: a [[feeds]] entry for this adapter "
        "(or a bare feed table), e.g. its timezone and [feeds.options]",
    )

    from server.cli import officers as officers_cli

    officers_cli.add_parser(sub)

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "officers":
            return officers_cli.run(args)
        if args.command == "feeds":
            from server.cli.feeds import check_file, list_adapters

            if args.feeds_command == "list":
                return list_adapters()
            return check_file(args.adapter, args.file, as_json=args.json, config_file=args.config)
        if args.command == "record":
            from server.cli.record import record

            return asyncio.run(record(args))
        if args.command == "replay":
            from server.cli.record import replay

            return asyncio.run(replay(args))
        return asyncio.run(_tail(args))
    except CityboardError as exc:
        print(f"cityboard: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from server.http.app import create_app
    from server.settings import load_settings

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings(
        args.config,
        host=args.host,
        port=args.port,
        db_path=args.db,
        demo=False if args.no_demo else None,
    )
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"
    print(
        f"cityboard: board at {url}  (log {settings.db_path}, "
        f"demo {'on' if settings.demo else 'off'})",
        flush=True,
    )
    if settings.operator_token is None:
        print(
            "cityboard: actions and calls are open to this machine only; for walls on other"
            " machines set CITYBOARD_OPERATOR_TOKEN and open the operator link it prints",
            flush=True,
        )
    else:
        token = settings.operator_token.get_secret_value()
        print(f"cityboard: operator link (keep it private): {url}?token={token}", flush=True)
    if settings.push_token is None:
        print(
            "cityboard: push ingest is off; "
            "set CITYBOARD_PUSH_TOKEN to enable POST /api/push/{source}",
            flush=True,
        )
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        shutdown_timeout=5.0,
    )
    return 0


async def _tail(args: argparse.Namespace) -> int:
    """Follow the stream and print entries; reconnects and resumes by itself."""
    follower = Follower(args.url, stream=args.stream, epoch=args.epoch, after=args.after_seq)
    printed = 0
    async for entry in follower.entries():
        print(_format(entry, args.json), flush=True)
        printed += 1
        if args.count is not None and printed >= args.count:
            return 0
    return 0


def _format(entry: dict[str, Any], as_json: bool) -> str:
    if as_json:
        return orjson.dumps(entry).decode()
    body = entry["body"]
    if entry["type"] == "event":
        what = (
            f"{body['severity']:<8} {body['status']:<9} {body['category']:<26} "
            f"{body['event_id']} v{body['version']}: {body['title']}"
        )
    elif entry["type"] == "action":
        what = f"{body['action']} {body['event_id']} by {body['actor']}"
    else:
        what = f"{body['level']} {body['code']}: {body['message']}"
    return f"{entry['seq']:>8} {entry['at']} {entry['type']:<6} {what}"


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

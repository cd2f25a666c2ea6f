"""The `cityboard` command: `serve` runs the board, `tail` follows the stream in a terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
from pathlib import Path
from typing import Any

import orjson

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

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "feeds":
            from server.feedcheck import check_file, list_adapters

            if args.feeds_command == "list":
                return list_adapters()
            return check_file(args.adapter, args.file, as_json=args.json, config_file=args.config)
        return asyncio.run(_tail(args))
    except CityboardError as exc:
        print(f"cityboard: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from server.app import create_app
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
    """Follow the stream: print entries, and on a drop reconnect with backoff and resume."""
    import websockets

    epoch: str | None = args.epoch
    after: int | None = args.after_seq
    printed = 0
    delay = TAIL_BACKOFF_FIRST_SECONDS
    while True:
        try:
            async with websockets.connect(args.url, compression=None, max_size=None) as ws:
                hello: dict[str, Any] = {"v": 1, "type": "hello"}
                if epoch is not None and after is not None:
                    hello["resume"] = {"epoch": epoch, "after_seq": after}
                await ws.send(orjson.dumps(hello).decode())
                delay = TAIL_BACKOFF_FIRST_SECONDS
                async for raw in ws:
                    message = orjson.loads(raw)
                    kind = message.get("type")
                    if kind == "welcome":
                        if message["epoch"] != epoch:
                            after = None
                        epoch = message["epoch"]
                        _note(
                            f"connected: epoch {epoch}, head {message['head']}, {message['mode']}"
                        )
                    elif kind == "snapshot":
                        after = message["seq"]
                        _note(f"snapshot at seq {after}: {len(message['events'])} active events")
                    elif kind == "batch":
                        for entry in message["entries"]:
                            if after is not None and entry["seq"] <= after:
                                continue
                            print(_format(entry, args.json), flush=True)
                            after = entry["seq"]
                            printed += 1
                            if args.count is not None and printed >= args.count:
                                return 0
                        after = max(after or 0, message["head"])
                    elif kind == "error":
                        _note(f"server error {message['code']}: {message['message']}")
                reason = f"closed by the server: {ws.close_code} {ws.close_reason or ''}".strip()
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            reason = str(exc)
        _note(f"disconnected ({reason}); reconnecting in {delay:.1f}s")
        await asyncio.sleep(delay * random.uniform(0.8, 1.2))
        delay = min(delay * 2, TAIL_BACKOFF_MAX_SECONDS)


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


def _note(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

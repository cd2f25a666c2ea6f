"""`cityboard tail`: the live stream in a terminal, resuming by seq across reconnects."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import orjson

from server.cli.follow import Follower


def add_parser(sub: Any) -> None:
    """The `tail` command and its flags."""
    tail = sub.add_parser("tail", help="print the live stream; resumes across reconnects")
    tail.add_argument("url", nargs="?", default="ws://127.0.0.1:8080/ws", help="websocket URL")
    tail.add_argument("--after-seq", type=int, help="resume after this seq (with --epoch)")
    tail.add_argument("--epoch", help="the stream epoch the seq belongs to")
    tail.add_argument("--json", action="store_true", help="print each entry as a JSON line")
    tail.add_argument("--count", type=int, help="exit after printing this many entries")
    tail.add_argument("--stream", default="live", help="live (default) or replay:<name>")


def run(args: argparse.Namespace) -> int:
    """Print entries until --count or an interrupt."""
    return asyncio.run(_follow(args))


async def _follow(args: argparse.Namespace) -> int:
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

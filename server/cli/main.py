"""The `cityboard` command: serve the board, follow or record a stream, replay a recording, list
or check feed adapters, and keep the officer directory."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import NoReturn

from server.cli import brief, feeds, officers, record, serve, tail
from server.errors import CityboardError


class Parser(argparse.ArgumentParser):
    """argparse, but a wrong flag is one line naming the command's help, like every refusal."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cityboard: {message} (see `{self.prog} --help`)\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: one sub-command, one clear line on a refusal."""
    parser = Parser(prog="cityboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(sub)
    tail.add_parser(sub)
    record.add_parsers(sub)
    feeds.add_parser(sub)
    officers.add_parser(sub)
    brief.add_parser(sub)
    commands = {
        "serve": serve.run,
        "tail": tail.run,
        "record": record.run_record,
        "replay": record.run_replay,
        "feeds": feeds.run,
        "officers": officers.run,
        "brief": brief.run,
    }
    args = parser.parse_args(argv)
    try:
        return commands[args.command](args)
    except CityboardError as exc:
        print(f"cityboard: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

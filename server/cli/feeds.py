"""`cityboard feeds list|check`: how an adapter author (and CI) runs an adapter offline."""

from __future__ import annotations

import argparse
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from feeds import registry
from feeds.kit.base import FeedConfig, FeedContext, Parsed, PollingFeed
from server.districts import Districts
from server.errors import CityboardError, ConfigError
from server.settings import config_problems
from server.stream.events import TimeBasis


def add_parser(sub: Any) -> None:
    """The `feeds list` and `feeds check` commands and their flags."""
    feeds = sub.add_parser("feeds", help="list installed feed adapters, or check one on a file")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    feeds_sub.add_parser("list", help="installed adapters with their kinds and standard")
    check = feeds_sub.add_parser("check", help="run an adapter's parse on a saved document")
    check.add_argument("adapter", help="adapter name, as in `cityboard feeds list`")
    check.add_argument("file", type=Path, help="the saved document")
    check.add_argument("--json", action="store_true", help="print one normalized event per line")
    check.add_argument(
        "--include-filtered",
        action="store_true",
        help="also list each item the feed's policy filtered out (e.g. CAP Test alerts), "
        "with the reason",
    )
    check.add_argument(
        "--config",
        type=Path,
        help="TOML with the feed's settings: a [[feeds]] entry for this adapter "
        "(or a bare feed table), e.g. its timezone and [feeds.options]",
    )


def run(args: argparse.Namespace) -> int:
    """`cityboard feeds list|check`."""
    if args.feeds_command == "list":
        return list_adapters()
    return check_file(
        args.adapter,
        args.file,
        as_json=args.json,
        config_file=args.config,
        include_filtered=args.include_filtered,
    )


def list_adapters() -> int:
    """Print every installed adapter with its kinds and standard; broken ones say why."""
    for name, point in sorted(registry.installed().items()):
        try:
            manifest = registry.load(name).manifest
        except ConfigError as exc:
            print(f"{name:<10} (unavailable: {exc.message})")
            continue
        print(f"{name:<10} {','.join(manifest.kinds):<30} {manifest.standard}  [{point.value}]")
    return 0


def _feed_config(adapter: str, config_file: Path | None) -> FeedConfig:
    values: dict[str, Any] = {"name": adapter, "adapter": adapter}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {config_file}: {exc}") from None
        tables = data.get("feeds", [data])
        chosen = next((t for t in tables if t.get("adapter", adapter) == adapter), None)
        if chosen is None:
            raise ConfigError(f"{config_file} has no [[feeds]] entry with adapter = {adapter!r}")
        values.update(chosen)
    try:
        return FeedConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"invalid feed settings: {config_problems(exc, FeedConfig)}") from None


def check_file(
    adapter: str,
    path: Path,
    *,
    as_json: bool,
    config_file: Path | None,
    include_filtered: bool = False,
) -> int:
    """Parse a saved document and print its events; a rejected document exits 1 with one line.

    Items refused (rejected), items the feed's policy filtered out and fields dropped with a
    warning go to stderr, then one summary line; a document with only filtered items exits 0.
    """
    cls = registry.load(adapter)
    if not issubclass(cls, PollingFeed):
        raise ConfigError(f"adapter {adapter!r} is not a polling adapter; nothing to check")
    config = _feed_config(adapter, config_file)
    try:
        feed = cls(FeedContext(config, Districts.load()))
    except ValidationError as exc:
        problems = config_problems(exc, cls.Options, "options")
        raise ConfigError(f"feed {config.name!r} ({adapter}): {problems}") from None
    cap = config.max_body_bytes  # the same cap a running feed applies to what it fetches
    try:
        with path.open("rb") as handle:
            payload = handle.read(cap + 1)  # never more than the cap and one byte
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(payload) > cap:
        print(
            f"cityboard: {path}: rejected by {adapter}: larger than max_body_bytes "
            f"({cap} bytes); not read further",
            file=sys.stderr,
        )
        return 1
    try:
        parsed = feed.parse(payload, received_at=datetime.now(UTC))
    except CityboardError as exc:
        print(f"cityboard: {path}: rejected by {adapter}: {exc.message}", file=sys.stderr)
        return 1
    if parsed.unusable:
        print(
            f"cityboard: {path}: rejected by {adapter}: no usable item; "
            f"first problem: {parsed.skipped[0]}",
            file=sys.stderr,
        )
        return 1
    for reason in parsed.skipped:
        print(f"cityboard: {path}: rejected {reason}", file=sys.stderr)
    for reason in parsed.filtered if include_filtered else []:
        print(f"cityboard: {path}: filtered {reason}", file=sys.stderr)
    for warning in parsed.warnings:
        print(f"cityboard: {path}: warning: {warning}", file=sys.stderr)
    for event in parsed.events:
        if as_json:
            sys.stdout.buffer.write(event.dump() + b"\n")
        else:
            fetched = " fetch time" if event.time_basis is TimeBasis.FETCHED else ""
            print(
                f"{event.severity.value:<8} {event.status.value:<9} {event.category:<26} "
                f"{event.event_id} v{event.version}  {event.title}  "
                f"[{event.sent_at:%Y-%m-%d %H:%MZ}{fetched}]"
            )
    sys.stdout.flush()
    print(f"cityboard: {path}: {summary(parsed)}", file=sys.stderr)
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _first(lines: list[str]) -> str:
    """' (the first line; and N more)' for a count, '' when there is nothing to explain."""
    if not lines:
        return ""
    more = f"; and {len(lines) - 1} more" if len(lines) > 1 else ""
    return f" ({lines[0][:200]}{more})"


def _reasons(lines: list[str]) -> str:
    """' (each distinct reason, without the item labels)', '' when there is none."""
    reasons = list(dict.fromkeys(line.split(": ", 1)[-1][:200] for line in lines))
    if not reasons:
        return ""
    more = f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""
    return f" ({'; '.join(reasons[:3])}{more})"


def summary(parsed: Parsed) -> str:
    """`N events, M filtered (why), K rejected (why)[, W warnings]`: one document, one line."""
    text = (
        f"{_count(len(parsed.events), 'event')}, "
        f"{len(parsed.filtered)} filtered{_reasons(parsed.filtered)}, "
        f"{len(parsed.skipped)} rejected{_first(parsed.skipped)}"
    )
    if parsed.warnings:
        text += f", {_count(len(parsed.warnings), 'warning')}"
    return text

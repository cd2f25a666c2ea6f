"""`cityboard officers import FILE` / `export` / `on-duty`: the directory from the command line.

Works on the directory's SQLite file directly (a running server sees the change at its next
request), so it needs no admin token: whoever can run it can read the database file anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from server.districts import Districts
from server.errors import CityboardError, OfficerImportError
from server.officers.duty import resolve
from server.officers.store import OfficerStore, default_path
from server.officers.transfer import export_csv, export_toml, format_of, parse_file
from server.settings import Settings, load_settings
from server.stream.events import utcnow


def add_parser(sub: Any) -> None:
    """Add the `officers` command to the `cityboard` parser."""
    officers = sub.add_parser("officers", help="import, export or query the officer directory")
    officers_sub = officers.add_subparsers(dest="officers_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, help="TOML settings file (see config.example.toml)")
        p.add_argument("--db", type=Path, help="SQLite log file; the directory is beside it")

    imp = officers_sub.add_parser("import", help="import a CSV or TOML file: every row or none")
    imp.add_argument("file", type=Path, help="officers.csv or officers.toml (docs/officers.md)")
    imp.add_argument(
        "--replace", action="store_true", help="remove officers that are not in the file"
    )
    imp.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    common(imp)

    exp = officers_sub.add_parser("export", help="write the directory as TOML or CSV")
    exp.add_argument("--format", choices=("toml", "csv"), help="default: from -o, else toml")
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    common(exp)

    duty = officers_sub.add_parser("on-duty", help="who is on duty for a district and kind")
    duty.add_argument("--district", help="district code or name")
    duty.add_argument("--kind", help="disaster, traffic, complaint or system")
    duty.add_argument("--at", help="ISO 8601 time with a zone (default: now)")
    common(duty)


def run(args: argparse.Namespace) -> int:
    """Carry out `cityboard officers ...`."""
    settings = load_settings(args.config, db_path=args.db)
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    store = OfficerStore(settings.officers_db_path or default_path(settings.db_path))
    districts = Districts.load(settings.districts_path)
    if args.officers_command == "import":
        return await _import(args, store, districts)
    await store.open()
    try:
        officers = await store.all()
    finally:
        await store.close()
    if args.officers_command == "export":
        fmt = args.format or ("csv" if args.output and args.output.suffix == ".csv" else "toml")
        text = export_csv(officers) if fmt == "csv" else export_toml(officers)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
            print(f"cityboard: wrote {len(officers)} officers to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    at = datetime.fromisoformat(args.at) if args.at else utcnow()
    if at.tzinfo is None:
        raise CityboardError(f"--at {args.at!r} needs a zone (Z or +09:00)")
    district = None
    if args.district:
        district = (
            args.district
            if args.district in districts.by_code
            else districts.by_name(args.district)
        )
        if district is None:
            raise CityboardError(f"unknown district {args.district!r}")
    answer = resolve(
        officers,
        at=at,
        zone=ZoneInfo(settings.city_timezone),
        lookahead=timedelta(days=settings.on_duty_lookahead_days),
        district=district,
        kind=args.kind,
    )
    sys.stdout.write(orjson.dumps(answer.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


async def _import(args: argparse.Namespace, store: OfficerStore, districts: Districts) -> int:
    path: Path = args.file
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except OSError as exc:
        raise CityboardError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CityboardError(f"{path} is not UTF-8: {exc}") from None
    try:
        officers = parse_file(text, format_of(path), districts, base_dir=path.parent)
    except OfficerImportError as exc:
        print(f"cityboard: {path}: {exc.message}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {path}: {error}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"cityboard: {path}: {len(officers)} officers, all valid (nothing changed)")
        return 0
    await store.open()
    try:
        summary = await store.load(officers, replace=args.replace)
    finally:
        await store.close()
    counts = summary.as_json()
    print(
        f"cityboard: imported {counts['imported']} officers into {store.path}"
        f" ({counts['created']} new, {counts['updated']} updated, {counts['unchanged']} unchanged,"
        f" {counts['removed']} removed)"
    )
    return 0

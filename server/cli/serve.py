"""`cityboard serve`: run the board server, saying where it is and who may act."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from server.http import serving
from server.http.app import create_app
from server.settings import load_settings


def add_parser(sub: Any) -> None:
    """The `serve` command and its flags."""
    serve = sub.add_parser("serve", help="run the board server (demo stream on by default)")
    serve.add_argument("--config", type=Path, help="TOML settings file (see config.example.toml)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--db", type=Path, help="SQLite log file (default var/cityboard.db)")
    serve.add_argument("--no-demo", action="store_true", help="do not play the bundled demo stream")
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def run(args: argparse.Namespace) -> int:
    """Serve the board until interrupted."""
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
    serving.run(app, settings.host, settings.port, shutdown_timeout=5.0)
    return 0

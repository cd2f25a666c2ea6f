"""`cityboard serve`: run the board server, saying where it is and who may act."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.errors import ConfigError
from server.http import serving
from server.http.app import create_app, public_db_path
from server.http.public import PUBLIC_APP
from server.memory import settle_collector
from server.officers.store import default_path
from server.settings import Settings, load_settings


def add_parser(sub: Any) -> None:
    """The `serve` command and its flags."""
    serve = sub.add_parser("serve", help="run the board server (demo stream on by default)")
    serve.add_argument("--config", type=Path, help="TOML settings file (see config.example.toml)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--db", type=Path, help="SQLite log file (default var/cityboard.db)")
    serve.add_argument(
        "--public-port",
        type=int,
        help="also serve only the citizens' board (/public, docs/public.md) on this port",
    )
    serve.add_argument("--no-demo", action="store_true", help="do not play the bundled demo stream")
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def run(args: argparse.Namespace) -> int:
    """Serve the board until interrupted: check the files, bind the port, then say where it is."""
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings(
        args.config,
        host=args.host,
        port=args.port,
        db_path=args.db,
        demo=False if args.no_demo else None,
        public_port=args.public_port,
    )
    if settings.log_backend == "sqlite":
        check_writable(settings.db_path, "the log")
        if settings.public.enabled:
            check_writable(public_db_path(settings.db_path), "the public stream's log")
    check_writable(
        settings.officers_db_path or default_path(settings.db_path), "the officer directory"
    )
    if settings.public_port is not None and not settings.public.enabled:
        raise ConfigError("public_port is set but [public] enabled = false: nothing to serve")
    app = create_app(settings)
    sockets = listen(settings.host, settings.port)
    port = int(sockets[0].getsockname()[1])
    beside = []
    public_urls: list[str] = []
    if PUBLIC_APP in app and settings.public_port is not None:
        try:
            public_sockets = listen(settings.public_host, settings.public_port)
        except ConfigError:
            for sock in sockets:
                sock.close()
            raise
        beside.append((app[PUBLIC_APP], public_sockets))
        public_port = int(public_sockets[0].getsockname()[1])
        public_urls = board_urls(settings.public_host, public_port)
    serving.run(
        app,
        sockets,
        started=lambda: started(settings, board_urls(settings.host, port), public_urls),
        shutdown_timeout=5.0,
        beside=beside,
    )
    return 0


def started(settings: Settings, urls: list[str], public_urls: Sequence[str]) -> None:
    """The server is up: settle the garbage collector for serving, then say where it is."""
    settle_collector()
    announce(settings, urls, public_urls)


def check_writable(path: Path, what: str) -> None:
    """Refuse a database path SQLite could not create or write, naming the part that is wrong,
    before anything opens (SQLite itself only says "unable to open database file")."""

    def refuse(why: str) -> ConfigError:
        return ConfigError(
            f"cannot open {what} at {path}: {why}; pick a file path in a folder you can write"
        )

    if path.is_dir():
        raise refuse("it is a directory")
    if path.exists() and not path.is_file():
        raise refuse("it is not a regular file")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise refuse("it is not writable by this user")
    folder = path.parent
    while not folder.exists():  # the folders cityboard would create
        folder = folder.parent
    if not folder.is_dir():
        raise refuse(f"{folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"{folder} is not writable by this user")
    try:  # /proc, /sys and read-only mounts take no files, even from root
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".cityboard-probe-"):
            pass
    except OSError as exc:
        why = f"{folder} takes no new files ({exc.strerror}): not a regular, writable file system"
        raise refuse(why) from None


def listen(host: str, port: int) -> list[socket.socket]:
    """Bind before the log opens, so a busy port is a clear refusal and "board at" is true."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host!r}: {exc.strerror}; check --host") from None
    sockets: list[socket.socket] = []
    try:
        for family, *_, address in dict.fromkeys(found):
            if sockets:  # with --port 0, every address takes the port the first one got
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sockets.append(socket.create_server(address, family=family))
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ConfigError(_bind_problem(host, port, exc)) from None
    return sockets


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    """Why a bind failed, and what to do about it, in words."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use (another cityboard?); stop it or pick another --port"
        )
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on port {port} (ports below 1024 need privileges);"
            " pick another --port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine;"
            " pass --host one of its addresses, or 0.0.0.0 for all"
        )
    return f"cannot listen on {host} port {port}: {exc.strerror}"


def board_urls(host: str, port: int) -> list[str]:
    """Links a person can open: for a wildcard bind, loopback and this machine's addresses."""
    if host not in ("0.0.0.0", "::"):
        return [_url(host, port)]
    family = socket.AF_INET6 if host == "::" else socket.AF_INET
    found = ["::1" if family == socket.AF_INET6 else "127.0.0.1"]
    try:
        for *_, address in socket.getaddrinfo(socket.gethostname(), None, family):
            found.append(str(address[0]))
    except OSError:
        pass
    try:  # the address of the default route; connecting a UDP socket sends nothing
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(("2001:db8::1" if family == socket.AF_INET6 else "192.0.2.1", 9))
            found.append(str(probe.getsockname()[0]))
    except OSError:
        pass
    usable = [a for a in found if a not in ("0.0.0.0", "::") and "%" not in a]
    return [_url(a, port) for a in dict.fromkeys(usable)]


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def announce(settings: Settings, urls: list[str], public_urls: Sequence[str] = ()) -> None:
    """Where the board is and who may act, printed once the port is bound and the log open."""
    print(
        f"cityboard: board at {', '.join(urls)}  (log {settings.db_path}, "
        f"demo {'on' if settings.demo else 'off'})",
        flush=True,
    )
    if settings.public.enabled:
        where = public_urls or [f"{u}public" for u in urls]
        print(f"cityboard: citizens' board (public) at {', '.join(where)}", flush=True)
    if settings.operator_token is None:
        print(
            "cityboard: actions and calls are open to this machine only; for walls on other"
            " machines set CITYBOARD_OPERATOR_TOKEN and open the operator link it prints",
            flush=True,
        )
    else:
        token = settings.operator_token.get_secret_value()
        link = f"{urls[-1]}?token={token}"  # loopback comes first: the last is for other machines
        print(f"cityboard: operator link (keep it private): {link}", flush=True)
    if settings.push_token is None:
        print(
            "cityboard: push ingest is off; "
            "set CITYBOARD_PUSH_TOKEN to enable POST /api/push/{source}",
            flush=True,
        )

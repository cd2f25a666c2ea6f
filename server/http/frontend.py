"""The board's static files, for the main port and the public port alike."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from aiohttp import web

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend"
FRONTEND_FOLDERS = ("js", "vendor", "i18n")
FRONTEND_FILES = ("board.css",)
INDEX = FRONTEND_DIR / "index.html"
# what turns the board's page into the public one (frontend/js/board.js reads `data-mode`)
BOARD_BODY = b'<body class="offline">'
PUBLIC_BODY = b'<body class="offline public" data-mode="public">'


def add_frontend(router: web.UrlDispatcher) -> None:
    """The board's files by name, so `/api/…` never falls through to them."""
    if FRONTEND_DIR.is_dir():
        for folder in FRONTEND_FOLDERS:
            router.add_static(f"/{folder}", FRONTEND_DIR / folder, append_version=False)
        for name in FRONTEND_FILES:
            router.add_get(f"/{name}", partial(frontend_file, name))


async def index(request: web.Request) -> web.StreamResponse:
    """The board page."""
    return await frontend_file("index.html", request)


async def public_page(request: web.Request) -> web.StreamResponse:
    """The citizens' board: the same page in public mode (no token, no operator parts)."""
    if not INDEX.is_file():
        return web.Response(status=500, text=f"frontend missing: {INDEX}\n")
    page = INDEX.read_bytes()
    if BOARD_BODY not in page:  # fail closed: never serve the operator page as the public one
        return web.Response(status=500, text="frontend page has no public mode\n")
    return web.Response(body=page.replace(BOARD_BODY, PUBLIC_BODY, 1), content_type="text/html")


async def frontend_file(name: str, request: web.Request) -> web.StreamResponse:
    """One of the board's top-level files."""
    page = FRONTEND_DIR / name
    if not page.is_file():
        return web.Response(status=500, text=f"frontend missing: {page}\n")
    return web.FileResponse(page)

"""Real camera media on loopback for the browser tests: a live HLS stream encoded by ffmpeg
(Debian's `ffmpeg`, H.264 in MPEG-TS segments as road cameras send it), an MJPEG stream
(multipart/x-mixed-replace) and a snapshot that changes on every request, both from JPEG frames
ffmpeg draws. The aiohttp server runs on its own thread and counts what it serves, so a test can
see players stop when a panel closes."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

FFMPEG = "/usr/bin/ffmpeg"
FRAME_SIZE = "320x240"
FRAME_RATE = 10
MJPEG_BOUNDARY = "cityboardframe"
READY_SECONDS = 20.0


@dataclass
class Counts:
    """What the media server has served; read from the test's thread."""

    mjpeg_open: int = 0
    snapshots: int = 0
    hls_requests: int = 0
    paths: list[str] = field(default_factory=list)


def need_ffmpeg() -> str:
    """Debian's ffmpeg, or a failed test saying how to install it (never a skip)."""
    found = shutil.which("ffmpeg") or (FFMPEG if Path(FFMPEG).exists() else None)
    if found is None:
        pytest.fail(
            "ffmpeg is missing: apt-get install -y ffmpeg (the camera tests encode with it)"
        )
    return found


def draw_frames(ffmpeg: str, folder: Path, count: int = 10) -> list[bytes]:
    """JPEG frames of ffmpeg's test pattern (a moving picture, so each frame differs)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i",
         f"testsrc=size={FRAME_SIZE}:rate={FRAME_RATE}", "-frames:v", str(count), "-q:v", "5",
         str(folder / "f%02d.jpg")],
        check=True, timeout=60,
    )  # fmt: skip
    return [p.read_bytes() for p in sorted(folder.glob("f*.jpg"))]


def start_hls(ffmpeg: str, folder: Path) -> subprocess.Popen[bytes]:
    """A live HLS stream into `folder/live.m3u8`: 1 s segments, the last 5 listed, old ones
    deleted, encoded in real time (-re) as a camera's encoder would."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [ffmpeg, "-loglevel", "error", "-re", "-f", "lavfi", "-i",
         f"testsrc=size={FRAME_SIZE}:rate={FRAME_RATE}", "-c:v", "libx264", "-preset", "ultrafast",
         "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", str(FRAME_RATE), "-f", "hls",
         "-hls_time", "1", "-hls_list_size", "5", "-hls_flags", "delete_segments",
         str(folder / "live.m3u8")],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


class MediaServer:
    """The loopback camera server: `/hls/live.m3u8` (and segments), `/mjpeg`, `/snapshot.jpg`."""

    def __init__(self, hls_dir: Path, frames: list[bytes]) -> None:
        self.hls_dir = hls_dir
        self.frames = frames
        self.counts = Counts()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MediaServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.on_response_prepare.append(self._cors)
        app.router.add_get("/mjpeg", self._mjpeg)
        app.router.add_get("/snapshot.jpg", self._snapshot)
        app.router.add_get("/hls/{name}", self._hls)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _cors(self, request: web.Request, response: web.StreamResponse) -> None:
        # hls.js fetches playlists and segments: a camera server must allow the board's origin
        response.headers["Access-Control-Allow-Origin"] = "*"

    async def _hls(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.counts.hls_requests += 1
        self.counts.paths.append(name)
        path = self.hls_dir / name
        if "/" in name or not path.is_file():
            raise web.HTTPNotFound()
        kind = "application/vnd.apple.mpegurl" if name.endswith(".m3u8") else "video/mp2t"
        return web.Response(
            body=path.read_bytes(), content_type=kind, headers={"Cache-Control": "no-store"}
        )

    async def _snapshot(self, request: web.Request) -> web.Response:
        frame = self.frames[self.counts.snapshots % len(self.frames)]
        self.counts.snapshots += 1
        return web.Response(body=frame, content_type="image/jpeg")

    async def _mjpeg(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
                "Cache-Control": "no-store",
            }
        )
        await response.prepare(request)
        self.counts.mjpeg_open += 1
        try:
            n = 0
            while True:
                frame = self.frames[n % len(self.frames)]
                head = f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                head += f"Content-Length: {len(frame)}\r\n\r\n"
                await response.write(head.encode() + frame + b"\r\n")
                n += 1
                await asyncio.sleep(1 / FRAME_RATE)
        except ConnectionError:  # the player went away (or was cancelled, which propagates)
            return response
        finally:
            self.counts.mjpeg_open -= 1


def wait_for_playlist(folder: Path, segments: int = 2) -> None:
    """Until ffmpeg has listed `segments` segments (a player then has something to play)."""
    deadline = time.monotonic() + READY_SECONDS
    playlist = folder / "live.m3u8"
    while time.monotonic() < deadline:
        if playlist.exists() and playlist.read_text().count("#EXTINF") >= segments:
            return
        time.sleep(0.2)
    pytest.fail(f"ffmpeg wrote no live HLS playlist with {segments} segments in {READY_SECONDS} s")

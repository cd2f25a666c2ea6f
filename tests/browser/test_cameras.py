"""Live cameras in an incident's detail panel, in Debian's Chromium against the real server and
real media on loopback: an HLS stream ffmpeg encodes live (played by the vendored hls.js), an
MJPEG stream, a snapshot refreshed every second, and a camera whose port is closed. The video
plays (its time advances), the images load and refresh, the dead camera says why, and closing
the panel stops every player. The map layer shows cameras on demand."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import CITY_HALL, pushed_event, row, wait_live
from tests.cameras.builders import east_of
from tests.cameras.media import (
    MediaServer,
    draw_frames,
    need_ffmpeg,
    start_hls,
    wait_for_playlist,
)
from tests.process import ServerProcess, free_port

pytestmark = pytest.mark.browser

Open = Callable[..., Any]
INCIDENT = "fire-cityhall"
PANEL = '[data-testid="detail"]'
CAMERA = '[data-testid="camera"]'


def camera(n: str, name: str, metres: float, **media: Any) -> dict[str, Any]:
    """A camera east of city hall, as a camera list's feed would push it."""
    return {
        "event_id": n,
        "kind": "camera",
        "category": "camera.cctv",
        "severity": "info",
        "title": name,
        "sent_at": "2026-12-01T00:00:00Z",
        "geometry": {"type": "Point", "coordinates": east_of((CITY_HALL[0], CITY_HALL[1]), metres)},
        "extra": {"camera": media},
    }


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, MediaServer]]:
    """One board server and one media server for the module's tests: an incident at city hall
    with four cameras within 500 m (HLS, MJPEG, snapshot, dead) and one 3 km away."""
    ffmpeg = need_ffmpeg()
    root = tmp_path_factory.mktemp("cameras")
    encoder = start_hls(ffmpeg, root / "hls")
    media = MediaServer(root / "hls", draw_frames(ffmpeg, root / "frames")).start()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    cameras = {"media_origins": [media.origin, dead]}
    server = ServerProcess(
        root / "board.db",
        log_path=root / "server.log",
        env={"CITYBOARD_CAMERAS": json.dumps(cameras)},
    )
    try:
        server.start()
        wait_for_playlist(root / "hls")
        fire = {"kind": "disaster", "category": "disaster.fire", "title": "시청 화재"}
        server.push([pushed_event(INCIDENT, **fire)])
        server.push(
            [
                camera("hls", "세종대로 (HLS)", 60, hls_url=f"{media.origin}/hls/live.m3u8"),
                camera("mjpeg", "시청광장 (MJPEG)", 150, mjpeg_url=f"{media.origin}/mjpeg"),
                camera("snap", "덕수궁 (snapshot)", 250,
                       snapshot_url=f"{media.origin}/snapshot.jpg", refresh_seconds=1),
                camera("dead", "을지로 (dead)", 400, hls_url=f"{dead}/live.m3u8"),
                camera("far", "여의도", 3000, snapshot_url=f"{media.origin}/snapshot.jpg"),
            ],
            source="cctv",
        )  # fmt: skip
        yield server, media
    finally:
        server.stop()
        media.stop()
        encoder.terminate()
        encoder.wait(timeout=10)


def open_incident(page: Any) -> None:
    wait_live(page)
    row(page, f"test:{INCIDENT}").click()
    expect(page.locator(PANEL)).to_be_visible()


def tile(page: Any, camera_id: str) -> Any:
    return page.locator(f'{CAMERA}[data-camera-id="cctv:{camera_id}"]')


def test_the_nearest_cameras_play_live_beside_the_incident_and_stop_when_it_closes(
    scene: tuple[ServerProcess, MediaServer], open_board: Open, artifacts: Path
) -> None:
    server, media = scene
    page = open_board(server)
    h264 = page.evaluate("() => MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.42E01E\"')")
    assert h264, "this Chromium cannot play H.264 from a MediaSource: see docs/cameras.md, Codecs"
    open_incident(page)

    # nearest first, within 500 m: the far camera is not there
    expect(page.locator(CAMERA)).to_have_count(4, timeout=10_000)
    order = page.eval_on_selector_all(CAMERA, "tiles => tiles.map(t => t.dataset.cameraId)")
    assert order == ["cctv:hls", "cctv:mjpeg", "cctv:snap", "cctv:dead"]
    assert tile(page, "hls").get_attribute("data-player") == "hls"

    # the HLS video plays: its time advances
    video = tile(page, "hls").locator("video")
    page.wait_for_function(
        "(v) => v.currentTime > 1 && !v.paused", arg=video.element_handle(), timeout=20_000
    )
    first = video.evaluate("v => v.currentTime")
    page.wait_for_function(
        "([v, t]) => v.currentTime > t + 1", arg=[video.element_handle(), first], timeout=10_000
    )
    expect(tile(page, "hls")).to_have_attribute("data-state", "live")

    # MJPEG loads natively; the snapshot loads and is fetched again every second
    for name in ("mjpeg", "snap"):
        image = tile(page, name).locator("img")
        page.wait_for_function("(i) => i.naturalWidth > 0", arg=image.element_handle())
        expect(tile(page, name)).to_have_attribute("data-state", "live")
    assert media.counts.mjpeg_open == 1
    page.wait_for_function(
        "(i) => Number(i.dataset.refreshed) > 0",
        arg=tile(page, "snap").locator("img").element_handle(),
    )
    assert media.counts.snapshots >= 2

    # the dead camera says why, never a blank frame
    dead = tile(page, "dead")
    expect(dead).to_have_attribute("data-state", "error", timeout=15_000)
    expect(dead.locator('[data-testid="camera-status"]')).to_have_text(
        "영상 없음: 네트워크 오류 (카메라에 연결할 수 없음) · 30초마다 다시 시도"
    )
    page.locator('[data-testid="cameras"]').evaluate("s => s.scrollIntoView({block: 'start'})")
    page.locator(PANEL).screenshot(path=str(artifacts / "cameras-panel.png"))

    # closing the panel stops every player: the MJPEG stream is dropped, no more HLS or snapshot
    page.locator('[data-testid="detail-close"]').click()
    expect(page.locator(CAMERA)).to_have_count(0)
    deadline = time.monotonic() + 10
    while media.counts.mjpeg_open and time.monotonic() < deadline:
        time.sleep(0.1)
    assert media.counts.mjpeg_open == 0, "the MJPEG connection outlived the panel"
    requests, snapshots = media.counts.hls_requests, media.counts.snapshots
    time.sleep(3)
    assert (media.counts.hls_requests, media.counts.snapshots) == (requests, snapshots)


def test_the_camera_layer_shows_cameras_on_demand_with_name_and_distance(
    scene: tuple[ServerProcess, MediaServer], open_board: Open
) -> None:
    server, _ = scene
    page = open_board(server)
    open_incident(page)
    markers = page.locator('[data-testid="camera-marker"]')
    layer = page.locator('[data-testid="camera-layer"]')
    expect(markers).to_have_count(0)
    layer.click()
    expect(layer).to_have_attribute("aria-pressed", "true")
    expect(markers).to_have_count(5)
    # the panel covers part of the map: the marker gets its click as Leaflet listens for it
    page.locator('[data-testid="camera-marker"][data-camera-id="cctv:mjpeg"]').dispatch_event(
        "click"
    )
    popup = page.locator('[data-testid="camera-popup"]')
    expect(popup).to_contain_text("시청광장 (MJPEG)")
    expect(popup).to_contain_text("사건 지점에서 150 m")
    layer.click()
    expect(markers).to_have_count(0)

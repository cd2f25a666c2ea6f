"""Shared pieces of the browser tests: events as a pushing system sends them, and page probes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.process import ServerProcess

ROW = '[data-testid="event-row"]'
CONN = '[data-testid="conn-state"]'
ONLINE = re.compile(r"^(live|resumed|snapshot)$")

# Points inside a few of Seoul's districts (code: [lon, lat])
CITY_HALL = [126.978, 37.566]  # 중구 11140
GANGNAM = [127.047, 37.517]  # 강남구 11680
MAPO = [126.924, 37.556]  # 마포구 11440
NOWON = [127.068, 37.654]  # 노원구 11350


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def pushed_event(external_id: str, *, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """One event in the normalized schema, as a pushing system sends it."""
    event: dict[str, Any] = {
        "event_id": external_id,
        "kind": "traffic",
        "category": "traffic.accident",
        "severity": "severe",
        "title": f"시청 앞 교통사고 {external_id}",
        "translations": {"en": {"title": f"Crash outside City Hall {external_id}"}},
        "sent_at": iso(at or datetime.now(UTC)),
        "geometry": {"type": "Point", "coordinates": CITY_HALL},
    }
    event.update(fields)
    return event


def act(server: ServerProcess, action: str, event_id: str) -> int:
    """An operator action sent over the websocket as a board sends it (before any page is open);
    the seq it got."""
    from websockets.sync.client import connect

    with connect(server.ws_url, open_timeout=5, compression=None) as ws:
        ws.send(json.dumps({"v": 1, "type": "hello"}))
        msg = {"v": 1, "type": "action", "action": action, "event_id": event_id, "ref": "r1"}
        ws.send(json.dumps(msg))
        while True:
            answer = json.loads(ws.recv(timeout=5))
            assert answer["type"] != "error", answer
            if answer["type"] == "result" and answer.get("ref") == "r1":
                return int(answer["seq"])


def row(page: Any, event_id: str) -> Any:
    return page.locator(f'{ROW}[data-event-id="{event_id}"]')


def marker(page: Any, event_id: str) -> Any:
    return page.locator(f'[data-testid="map-marker"][data-event-id="{event_id}"]')


def event_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(ROW, "rows => rows.map(r => r.dataset.eventId)"))


def wait_live(page: Any, timeout_ms: int = 10_000) -> None:
    expect(page.locator(CONN)).to_have_attribute("data-state", ONLINE, timeout=timeout_ms)


def wait_map(page: Any, timeout_ms: int = 10_000) -> None:
    """The district layer is drawn (25 districts of Seoul)."""
    page.wait_for_function(
        "() => document.querySelectorAll('path.district[data-code]').length >= 25",
        timeout=timeout_ms,
    )

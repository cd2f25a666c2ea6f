"""`cityboard brief` and `GET /brief` on a log written through a real server: pushed events,
acknowledgements over the websocket, a call, and a feed that is down (its upstream refuses)."""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import statistics
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from feeds.kit.base import FeedConfig
from server.cli.main import main
from server.stream.events import iso_utc, utcnow
from tests.brief.entries import HOSTILE
from tests.brief.test_render import Page
from tests.conftest import Running, StartServer, event_dict, wait_for
from tests.officers.helpers import ADMIN_TOKEN, OPERATOR_TOKEN, officer, put_officer
from tests.process import cityboard, free_port, refusal
from tests.wsclient import BoardClient

pytestmark = pytest.mark.slow

JONGNO = [126.9773, 37.5949]  # 11110
CITY_HALL = [126.9779, 37.5663]  # 11140


@dataclass
class Night:
    """The server that wrote the log, the log file and the period that holds all of it."""

    running: Running
    db: Path
    since: str
    until: str

    def brief(self, *flags: str) -> Any:
        return cityboard(
            "brief", "--db", str(self.db), "--since", self.since, "--until", self.until, *flags
        )


def pushed() -> list[dict[str, Any]]:
    return [
        event_dict(
            1, kind="disaster", severity="extreme", title=HOSTILE, category="disaster.flood"
        ),
        event_dict(
            2,
            severity="severe",
            category="traffic.closure",
            geometry={"type": "Point", "coordinates": JONGNO},
        ),
        event_dict(3, kind="complaint", category="complaint.water"),
        event_dict(4, kind="complaint", category="complaint.water"),
        event_dict(5, kind="complaint", category="complaint.water", geometry=None),
    ]


async def act(board: BoardClient, action: str, event: str, **data: Any) -> None:
    await board.send(
        {
            "type": "action",
            "action": action,
            "event_id": event,
            "actor": "op1",
            "data": data,
            "ref": f"{action}-{event}",
        }
    )
    answer = await board.next_of("result")
    assert answer["ref"] == f"{action}-{event}", answer


@pytest.fixture
async def night(start_server: StartServer, tmp_path: Path) -> Night:
    since = iso_utc(utcnow() - timedelta(minutes=1))
    down = FeedConfig(
        name="kma",
        adapter="geojson",
        url=f"http://127.0.0.1:{free_port()}/x",
        interval_seconds=3600,
        options={"category": "disaster.flood"},
    )
    running = await start_server(admin_token=ADMIN_TOKEN, feeds=[down])
    await running.push(pushed())
    board = await BoardClient.connect(running.session, running.ws_url)
    await board.next_of("snapshot")
    for n, pause in [(1, 0.05), (2, 0.3), (3, 0.15), (4, 0.6)]:
        await asyncio.sleep(pause)
        await act(board, "ack", f"test:e{n}")
    await act(board, "assign", "test:e1", to="<b>Team A</b>")
    await act(board, "resolve", "test:e3")
    await board.close()
    await put_officer(running, officer("kim"))
    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": "test:e1", "officer_id": "kim"}
    ) as r:
        call = await r.json()
        assert r.status == 202, call
    async with running.session.post(
        f"{running.http}/api/calls/{call['call_id']}/hangup", json={"outcome": "answered"}
    ) as r:
        assert r.status == 200
    notices = await running.board.log.entries_after(0, 100)
    await wait_for(lambda: any(e.type == "notice" for e in notices), timeout=10)
    return Night(running, tmp_path / "log.db", since, iso_utc(utcnow() + timedelta(minutes=1)))


def ack_gaps(db: Path) -> list[float]:
    """From the log itself: seconds from each event's first entry to its first acknowledgement."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT at, type, body FROM log ORDER BY seq").fetchall()
    arrived: dict[str, datetime] = {}
    acked: dict[str, datetime] = {}
    for at, type_, body in rows:
        data, when = orjson.loads(body), datetime.fromisoformat(at)
        if type_ == "event":
            arrived.setdefault(data["event_id"], when)
        elif type_ == "action" and data["action"] in ("ack", "assign", "resolve"):
            acked.setdefault(data["event_id"], when)
    return sorted((acked[e] - arrived[e]).total_seconds() for e in acked)


async def test_the_json_briefing_of_a_night_written_through_a_real_server(night: Night) -> None:
    done = await asyncio.to_thread(night.brief, "--format", "json")
    assert done.returncode == 0, done.stderr
    brief = json.loads(done.stdout)

    assert brief["events"] == {
        "new": 5,
        "by_kind": {"disaster": 1, "traffic": 1, "complaint": 3},
        "by_severity": {"extreme": 1, "severe": 1, "moderate": 3},
        "by_kind_severity": {
            "disaster": {"extreme": 1},
            "traffic": {"severe": 1},
            "complaint": {"moderate": 3},
        },
        "by_district": {"11140": 3, "11110": 1, "": 1},
    }
    opened = brief["open"]
    assert [i["event_id"] for i in opened["items"]] == ["test:e1", "test:e2", "test:e4", "test:e5"]
    assert (opened["count"], opened["unassigned"], opened["unacknowledged"]) == (4, 3, 1)
    assert opened["items"][0]["title"] == HOSTILE
    assert opened["items"][0]["assigned_to"] == "<b>Team A</b>"

    gaps = ack_gaps(night.db)
    assert len(gaps) == 4 and gaps == sorted(set(gaps)), "four distinct, known delays"
    ack = brief["acknowledgement"]
    assert ack["count"] == 4 and ack["new_unacknowledged"] == 1
    assert ack["median_s"] == round(statistics.median(gaps), 1)
    assert ack["p90_s"] == round(gaps[math.ceil(0.9 * 4) - 1], 1) == round(gaps[3], 1)

    assert brief["calls"]["count"] == 1 and brief["calls"]["by_outcome"] == {"answered": 1}
    (call,) = brief["calls"]["items"]
    assert (call["officer_en"], call["title"], call["dialer"]) == ("Officer kim", HOSTILE, "tel")
    (outage,) = brief["outages"]["items"]
    assert outage["feed"] == "kma" and outage["ended_at"] is None
    assert "kma" in outage["message"]
    assert brief["escalations"]["steps"] == 0
    assert brief["source"] == "log" and brief["timezone"] == "Asia/Seoul"
    found = brief["situations"]
    assert found["available"] and found["open"] == 1, "the flood and its water complaints"
    (flood,) = found["items"]
    assert flood["members"] == ["test:e1", "test:e3", "test:e4"]  # not the closure, nor e5
    assert (flood["severity"], flood["counts"]) == ("extreme", {"complaint": 2, "disaster": 1})


async def test_a_recording_of_the_night_briefs_the_same(night: Night, tmp_path: Path) -> None:
    recording = tmp_path / "night.jsonl"
    made = await asyncio.to_thread(cityboard, "record", str(recording), "--db", str(night.db))
    assert made.returncode == 0, made.stderr
    from_db = json.loads((await asyncio.to_thread(night.brief, "--format", "json")).stdout)
    done = await asyncio.to_thread(
        cityboard,
        "brief",
        "--recording",
        str(recording),
        "--since",
        night.since,
        "--until",
        night.until,
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    from_recording = json.loads(done.stdout)
    assert from_recording.pop("source") == "night.jsonl"
    from_db.pop("source")
    assert from_recording == from_db

    by_default = await asyncio.to_thread(
        cityboard, "brief", "--recording", str(recording), "--format", "json"
    )
    assert json.loads(by_default.stdout)["events"]["new"] == 5, "8h back from its end"

    lines = recording.read_bytes().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(b"".join([*lines[:3], b'{"seq": 3, "at": \n', *lines[3:]]))
    refused = await asyncio.to_thread(cityboard, "brief", "--recording", str(damaged))
    refusal(refused, "line 4 is not a log entry")


async def test_html_and_markdown_files_in_both_languages(night: Night, tmp_path: Path) -> None:
    for lang, heading in [
        ("en", "Still open at the end of the period"),
        ("ko", "기간 종료 시점 미결 상황"),
    ]:
        out = tmp_path / f"brief-{lang}.html"
        done = await asyncio.to_thread(night.brief, "--lang", lang, "--out", str(out))
        assert done.returncode == 0 and done.stdout == "", done.stderr
        page = Page(out.read_text())
        text = "".join(page.text)
        assert heading in text and HOSTILE in text and "<b>Team A</b>" in text
        assert page.all("script") == [] and page.all("img") == [] and page.all("b") == []
    md = await asyncio.to_thread(night.brief, "--format", "md", "--lang", "ko")
    assert md.returncode == 0 and "## 기간 종료 시점 미결 상황" in md.stdout
    assert "&lt;b&gt;Team A&lt;/b&gt;" in md.stdout and "<b>" not in md.stdout


async def test_the_brief_page_is_for_operators_with_the_boards_headers(
    night: Night, start_server: StartServer, tmp_path: Path
) -> None:
    http, session = night.running.http, night.running.session
    async with session.get(f"{http}/brief?since=1h&lang=en") as r:
        page = Page(await r.text())
        assert r.status == 200 and r.content_type == "text/html"
        headers = r.headers
    async with session.get(f"{http}/") as r:
        board_headers = r.headers
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
    ):
        assert headers[name] == board_headers[name], name
    assert HOSTILE in "".join(page.text) and page.all("script") == []
    assert page.all("link")[0]["href"] == "/brief.css"
    async with session.get(f"{http}/brief.css") as r:
        assert r.status == 200 and r.content_type == "text/css" and "@page" in await r.text()
    async with session.get(f"{http}/brief?since=1h&format=json") as r:
        assert (await r.json())["calls"]["count"] == 1
    async with session.get(f"{http}/brief?since=1h&format=md&lang=ko") as r:
        assert r.content_type == "text/markdown" and "# 교대 근무 브리핑" in await r.text()
    for query, needle in [
        ("since=yesterday", "since takes a duration"),
        ("format=pdf", "format must be one of html, md, json"),
        ("lang=fr", "language must be one of ko, en"),
    ]:
        async with session.get(f"{http}/brief?{query}") as r:
            assert r.status == 400
            assert needle in (await r.json())["error"]["message"]

    guarded = await start_server(tmp_path / "other.db", operator_token=OPERATOR_TOKEN)
    async with guarded.session.get(f"{guarded.http}/brief") as r:
        assert r.status == 401, "a viewer (even on this machine, once a token is set) may not"
    bearer = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    async with guarded.session.get(f"{guarded.http}/brief", headers=bearer) as r:
        assert r.status == 200 and "Nothing happened" not in await r.text()


def brief_in_process(capsys: pytest.CaptureFixture[str], *flags: str) -> Any:
    """`cityboard brief` run by its entry point in this process (quicker than a new Python for
    each refusal), as a finished process for `refusal`."""
    try:
        code = main(["brief", *flags])
    except SystemExit as stop:  # argparse's refusals exit
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["cityboard", "brief", *flags], code, out, err)


def test_wrong_flags_and_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_log = tmp_path / "notes.db"
    sqlite3.connect(not_a_log).execute("CREATE TABLE notes (x)").connection.close()
    cases = [
        (["--format", "pdf"], "invalid choice: 'pdf'"),
        (["--lang", "fr"], "invalid choice: 'fr'"),
        (["--since", "yesterday"], "--since takes a duration"),
        (["--since", "1h", "--until", "2h"], "must come before"),
        (["--db", str(tmp_path / "none.db")], "does not exist"),
        (["--db", str(not_a_log)], "is not a cityboard log"),
        (["--recording", str(not_a_log)], "not a cityboard recording"),
        (["--db", "x", "--recording", "y"], "not allowed with argument"),
        (
            ["--db", str(empty_log(tmp_path)), "--out", str(tmp_path / "no" / "x.html")],
            "cannot write",
        ),
    ]
    for flags, needle in cases:
        refusal(brief_in_process(capsys, *flags), needle)
    refusal(cityboard("brief", "--since", "soon"), "--since takes a duration"), "as run by a user"


def empty_log(folder: Path) -> Path:
    """A log file with the log's tables and no entry (as a server leaves one it never used)."""
    db = folder / "empty.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('epoch', 'e1');"
        "CREATE TABLE log (seq INTEGER PRIMARY KEY, epoch TEXT, at TEXT, type TEXT, body BLOB);"
    )
    conn.close()
    return db


def test_an_empty_period_is_a_briefing_that_says_so(tmp_path: Path) -> None:
    done = cityboard("brief", "--db", str(empty_log(tmp_path)), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "Nothing happened in this period and nothing is open." in done.stdout

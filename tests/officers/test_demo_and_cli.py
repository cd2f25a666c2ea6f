"""The fictional demo directory, and `cityboard officers import/export/on-duty`."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from server.cli.main import main
from server.districts import Districts
from server.officers.store import OfficerStore, default_path
from server.officers.transfer import load_demo, parse_file
from tests.conftest import StartServer
from tests.officers.helpers import ADMIN_TOKEN, officer, put_officer
from tests.officers.test_import import BAD_CSV, GOOD_CSV

DISTRICTS = Districts.load()


def test_the_demo_directory_covers_every_district_and_cannot_reach_anyone() -> None:
    officers = load_demo(DISTRICTS)
    assert all(o.demo for o in officers)
    for district in DISTRICTS.items:
        for kind in ("disaster", "traffic", "complaint"):
            covering = [o for o in officers if o.covers(district.code, kind) and not o.city_wide]
            assert covering, f"no demo officer for {kind} in {district.name_en}"
    for level in ("backup", "head"):
        assert {k for o in officers if o.level == level for k in o.kinds} == {
            "disaster",
            "traffic",
            "complaint",
        }
    for o in officers:
        assert re.fullmatch(r"\+8220000\d{4}", o.phone), o.phone  # Seoul 02, subscriber 0000-…
        assert o.sip_uri is not None and o.sip_uri.endswith("@example.invalid")
    assert len({o.phone for o in officers}) == len(officers)
    assert len({o.name_ko for o in officers}) == len(officers)


async def test_the_demo_fills_an_empty_directory_and_leaves_with_the_demo(
    start_server: StartServer, tmp_path: Path
) -> None:
    db = tmp_path / "demo.db"
    running = await start_server(db=db, demo=True, admin_token=ADMIN_TOKEN)
    async with running.session.get(f"{running.http}/api/officers") as r:
        listed = (await r.json())["officers"]
    assert len(listed) == len(load_demo(DISTRICTS)) and all(o["demo"] for o in listed)
    async with running.session.get(
        f"{running.http}/api/officers/on-duty",
        params={"district": "11680", "kind": "traffic", "at": "2026-03-02T10:00:00+09:00"},
    ) as r:
        answer = await r.json()
    assert [o["id"] for o in answer["now"]] == ["11680-traffic", "seoul-topis"]
    assert [o["id"] for o in answer["escalation"]] == ["seoul-topis", "seoul-traffic-head"]
    await put_officer(running, officer("real-person"))
    await running.session.close()
    await running.server.close()

    running = await start_server(db=db, demo=False)
    async with running.session.get(f"{running.http}/api/officers") as r:
        assert [o["id"] for o in (await r.json())["officers"]] == ["real-person"]


async def test_the_demo_does_not_touch_a_directory_that_has_officers(
    start_server: StartServer, tmp_path: Path
) -> None:
    db = tmp_path / "mine.db"
    store = OfficerStore(default_path(db))
    await store.open()
    await store.load(parse_file(GOOD_CSV, "csv", DISTRICTS), replace=False)
    await store.close()
    running = await start_server(db=db, demo=True)
    async with running.session.get(f"{running.http}/api/officers") as r:
        assert sorted(o["id"] for o in (await r.json())["officers"]) == ["kim", "lee", "park"]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_import_reports_every_bad_row_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "log.db"
    assert (
        main(["officers", "import", str(_write(tmp_path, "good.csv", GOOD_CSV)), "--db", str(db)])
        == 0
    )
    assert "imported 3 officers" in capsys.readouterr().out
    bad = _write(tmp_path, "bad.csv", BAD_CSV)
    assert main(["officers", "import", str(bad), "--db", str(db), "--replace"]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: row 3 (line 3) [lee]: phone:" in err
    assert f"{bad}: row 4 (line 4) [park]: districts: unknown district '99999'" in err
    assert "duplicate id 'kim' (first on row 2)" in err
    assert main(["officers", "export", "--db", str(db), "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 4, "header and the three officers, unchanged"
    assert (tmp_path / "log.officers.db").is_file(), "the directory lives beside the log"


def test_cli_export_round_trips_and_answers_on_duty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "log.db"
    main(["officers", "import", str(_write(tmp_path, "good.csv", GOOD_CSV)), "--db", str(db)])
    out = tmp_path / "out.toml"
    assert main(["officers", "export", "--db", str(db), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["officers", "import", str(out), "--db", str(db), "--replace"]) == 0
    assert "0 new, 0 updated, 3 unchanged, 0 removed" in capsys.readouterr().out
    assert (
        main(
            [
                "officers",
                "on-duty",
                "--db",
                str(db),
                "--district",
                "11110",
                "--kind",
                "disaster",
                "--at",
                "2026-03-02T10:00:00+09:00",
            ]
        )
        == 0
    )
    answer = orjson.loads(capsys.readouterr().out)
    assert [o["id"] for o in answer["now"]] == ["kim"]
    assert [o["id"] for o in answer["escalation"]] == ["lee"]

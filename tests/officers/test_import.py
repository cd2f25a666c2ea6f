"""Directory files: CSV and TOML in, per-row errors for bad rows (nothing imported), export out."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.districts import Districts
from server.errors import OfficerImportError
from server.officers.model import Officer
from server.officers.transfer import export_csv, export_toml, parse_file
from tests.conftest import StartServer
from tests.officers.helpers import ADMIN_TOKEN, admin, officer, put_officer

DISTRICTS = Districts.load()

GOOD_CSV = "\ufeff" + "\n".join(  # with a byte-order mark, as spreadsheets save it
    [
        "id,name_ko,name_en,role,department,level,districts,kinds,categories,phone,sip_uri,"
        "shifts,overrides",
        "kim,김민지,Kim Min-ji,재난안전 당직관,재난안전과,primary,11110;11140,disaster,"
        "disaster.flood;disaster.heavy_rain,+82 10-1234-5678,sip:kim@pbx.example.org,"
        '"mon-fri 09:00-18:00; sat,sun 10:00-14:00",2026-03-10 off',
        "lee,이서준,Lee Seo-jun,야간 당직,총무과,backup,종로구,*,,+82-2-2133-0000,,"
        "daily 20:00-08:00,",
        "park,박하윤,,교통실장,교통행정과,head,*,traffic,,+82 2 2133 1111,"
        "sips:park@pbx.example.org:5061,,",
        "",
    ]
)

CALENDAR = (
    "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:1@test\n"
    "DTSTART;TZID=Asia/Seoul:20260302T090000\nDTEND;TZID=Asia/Seoul:20260302T180000\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE\nSUMMARY:On call\\, Jongno\nEND:VEVENT\nEND:VCALENDAR\n"
)

GOOD_TOML = f"""
[[officers]]
id = "kim"
name_ko = "김민지"
name_en = "Kim Min-ji"
role = "재난안전 당직관"
department = "재난안전과"
districts = ["11110", "Jung-gu"]
kinds = ["disaster"]
phone = "+82 10-1234-5678"
sip_uri = "sip:kim@127.0.0.1:5070"
shifts = [{{ days = ["mon", "tue", "wed"], start = "09:00", end = "18:00" }}, "thu-fri 09:00-13:00"]
overrides = [{{ date = "2026-03-10", until = "2026-03-12", on = false, note = "leave" }}]

[[officers]]
id = "lee"
name_ko = "이서준"
role = "당직"
department = "총무과"
level = "backup"
districts = "*"
kinds = "*"
phone = "+82 2-2133-0000"
calendar = '''{CALENDAR}'''
"""


def test_a_good_csv_imports_every_row_with_its_fields() -> None:
    officers = {o.id: o for o in parse_file(GOOD_CSV, "csv", DISTRICTS)}
    assert list(officers) == ["kim", "lee", "park"]
    kim, lee, park = officers["kim"], officers["lee"], officers["park"]
    assert kim.phone == "+821012345678", "E.164 without separators"
    assert kim.districts == ("11110", "11140")
    assert kim.categories == ("disaster.flood", "disaster.heavy_rain")
    assert [str(s) for s in kim.shifts] == ["mon-fri 09:00-18:00", "sat,sun 10:00-14:00"]
    assert [str(o) for o in kim.overrides] == ["2026-03-10 off"]
    assert lee.districts == ("11110",), "a district name becomes its code"
    assert lee.kinds == ("*",) and lee.level == "backup" and lee.sip_uri is None
    assert park.city_wide and park.level == "head" and park.name_en == ""
    assert park.sip_uri == "sips:park@pbx.example.org:5061"


def test_a_good_toml_imports_tables_lists_and_an_inline_calendar() -> None:
    kim, lee = parse_file(GOOD_TOML, "toml", DISTRICTS)
    assert kim.districts == ("11110", "11140")
    assert [str(s) for s in kim.shifts] == ["mon-wed 09:00-18:00", "thu,fri 09:00-13:00"]
    assert [str(o) for o in kim.overrides] == ["2026-03-10..2026-03-12 off leave"]
    assert lee.city_wide and lee.kinds == ("*",)
    assert lee.calendar is not None and "RRULE:FREQ=WEEKLY" in lee.calendar


BAD_CSV = """id,name_ko,role,department,districts,kinds,phone
kim,김민지,당직,재난안전과,11110,disaster,+82 10-1234-5678
lee,이서준,당직,재난안전과,11110,disaster,010-1234-5678
park,박하윤,당직,재난안전과,99999,disaster,+82 10-0000-0001
kim,김민지,당직,재난안전과,11140,disaster,+82 10-1234-5679
choi,최지우,당직,재난안전과,11110,weather,12345
"""


def test_bad_rows_are_each_reported_with_row_number_and_field_and_nothing_is_returned() -> None:
    with pytest.raises(OfficerImportError) as info:
        parse_file(BAD_CSV, "csv", DISTRICTS)
    errors = [(e.row, e.field, e.id) for e in info.value.errors]
    assert errors == [
        (3, "phone", "lee"),
        (4, "districts", "park"),
        (5, "id", "kim"),
        (6, "kinds", "choi"),
        (6, "phone", "choi"),
    ]
    messages = {(e.row, e.field): e.message for e in info.value.errors}
    assert "domestic number" in messages[3, "phone"] and "+82" in messages[3, "phone"]
    assert "unknown district '99999'" in messages[4, "districts"]
    assert "duplicate id 'kim' (first on row 2)" in messages[5, "id"]
    assert "4 of 5 rows are invalid; nothing was imported" in info.value.message


def test_toml_errors_name_the_table_and_its_line() -> None:
    text = GOOD_TOML.replace('phone = "+82 2-2133-0000"', 'phone = "+82 2-2133-0000"\nfax = "no"')
    with pytest.raises(OfficerImportError) as info:
        parse_file(text, "toml", DISTRICTS)
    (error,) = info.value.errors
    assert (error.row, error.field, error.id) == (2, "fax", "lee")
    assert error.line == text.splitlines().index("[[officers]]", 3) + 1
    assert "unknown field 'fax'" in error.message


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"phone": "+82 10"}, "not an E.164 number"),
        ({"sip_uri": "kim@example.org"}, "not like sip:user@host"),
        ({"shifts": ["weekdays 9-18"]}, "not like 'mon-fri 09:00-18:00'"),
        ({"shifts": ["mon-fri 09:00-25:00"]}, "not a time of day"),
        ({"overrides": ["2026-02-30 off"]}, "day is out of range"),
        ({"categories": ["traffic.accident"]}, "outside the kinds covered"),
        ({"districts": ["*", "11110"]}, "stands alone"),
        ({"id": "on-duty"}, "reserved"),
        ({"id": "Kim Min-ji"}, "should match pattern"),
        ({"calendar": "BEGIN:VCALENDAR\nEND:VCALENDAR\n"}, "no VEVENT"),
        ({"calendar": "not a calendar"}, "not valid iCalendar"),
    ],
)
def test_each_invalid_value_says_what_is_wrong(fields: dict[str, object], fragment: str) -> None:
    with pytest.raises(Exception, match=fragment):
        Officer.model_validate(officer("x", **fields), context={"districts": DISTRICTS})


def test_a_file_with_unknown_columns_is_refused_whole() -> None:
    with pytest.raises(OfficerImportError, match="unknown column"):
        parse_file("id,name,phone\nkim,Kim,+821012345678\n", "csv", DISTRICTS)


@pytest.mark.parametrize("fmt", ["csv", "toml"])
def test_export_then_import_gives_the_same_directory(fmt: str) -> None:
    officers = parse_file(GOOD_CSV, "csv", DISTRICTS) + [
        o.model_copy(update={"id": f"{o.id}-2"}) for o in parse_file(GOOD_TOML, "toml", DISTRICTS)
    ]
    text = export_csv(officers) if fmt == "csv" else export_toml(officers)
    again = parse_file(text, fmt, DISTRICTS)  # type: ignore[arg-type]
    assert again == officers
    twice = export_csv(again) if fmt == "csv" else export_toml(again)
    assert twice == text


def test_the_command_line_reads_calendar_files_beside_the_directory(tmp_path: Path) -> None:
    (tmp_path / "oncall").mkdir()
    (tmp_path / "oncall" / "lee.ics").write_text(CALENDAR)
    text = GOOD_TOML.replace(f"calendar = '''{CALENDAR}'''", 'calendar_file = "oncall/lee.ics"')
    _, lee = parse_file(text, "toml", DISTRICTS, base_dir=tmp_path)
    assert lee.calendar is not None and "BYDAY=MO,WE" in lee.calendar
    with pytest.raises(OfficerImportError, match="calendar_file is read only by"):
        parse_file(text, "toml", DISTRICTS)  # over the API: never read server files


# ------------------------------------------------------------------------------ the API


async def test_the_api_imports_all_or_nothing_and_exports_what_it_holds(
    start_server: StartServer,
) -> None:
    running = await start_server(admin_token=ADMIN_TOKEN)
    base = f"{running.http}/api/officers"
    headers = {**admin(), "Content-Type": "text/csv"}
    async with running.session.post(f"{base}/import", data=GOOD_CSV.encode(), headers=headers) as r:
        body = await r.json()
        assert r.status == 200, body
    assert body == {
        "mode": "merge",
        "imported": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
    }

    async with running.session.post(f"{base}/import", data=BAD_CSV.encode(), headers=headers) as r:
        body = await r.json()
        assert r.status == 400, body
    assert body["error"]["code"] == "invalid_officers"
    assert [e["row"] for e in body["error"]["errors"]] == [3, 4, 5, 6, 6]
    assert body["error"]["errors"][0] | {"message": ""} == {
        "row": 3,
        "line": 3,
        "field": "phone",
        "id": "lee",
        "message": "",
    }
    async with running.session.get(base) as r:
        listed = await r.json()
    assert sorted(o["id"] for o in listed["officers"]) == ["kim", "lee", "park"]
    # the bad file changed nothing: kim (row 5 reused its id) kept the first file's phone
    assert next(o for o in listed["officers"] if o["id"] == "kim")["phone"] == "+821012345678"

    async with running.session.get(f"{base}/export", params={"format": "toml"}) as r:
        assert r.status == 200 and r.content_type == "application/toml"
        exported = await r.text()
    toml_headers = {**admin(), "Content-Type": "application/toml"}
    async with running.session.post(
        f"{base}/import", params={"mode": "replace"}, data=exported.encode(), headers=toml_headers
    ) as r:
        body = await r.json()
    assert body["unchanged"] == 3 and body["removed"] == 0

    one = (
        "id,name_ko,role,department,districts,kinds,phone\n"
        "kim,김민지,당직,재난안전과,11110,disaster,+821012345678\n"
    )
    async with running.session.post(
        f"{base}/import",
        params={"mode": "replace", "dry_run": "1"},
        data=one.encode(),
        headers=headers,
    ) as r:
        assert (await r.json()) == {"dry_run": True, "valid": 1, "mode": "replace"}
    async with running.session.post(
        f"{base}/import", params={"mode": "replace"}, data=one.encode(), headers=headers
    ) as r:
        body = await r.json()
    assert (body["updated"], body["removed"]) == (1, 2)

    async with running.session.post(f"{base}/import", data=b"x", headers=admin()) as r:
        assert r.status == 415


async def test_editing_needs_the_admin_token_and_is_off_without_one(
    start_server: StartServer,
) -> None:
    running = await start_server()  # no admin token configured
    url = f"{running.http}/api/officers/kim"
    async with running.session.put(url, json=officer("kim")) as r:
        body = await r.json()
        assert r.status == 403 and body["error"]["code"] == "admin_disabled"
    assert "CITYBOARD_ADMIN_TOKEN" in body["error"]["message"]

    running = await start_server(
        db=running.board.log.path.with_name("b.db"), admin_token=ADMIN_TOKEN
    )
    url = f"{running.http}/api/officers/kim"
    async with running.session.put(url, json=officer("kim")) as r:
        assert r.status == 401 and "Bearer" in r.headers["WWW-Authenticate"]
    async with running.session.put(
        url, json=officer("kim"), headers={"Authorization": "Bearer nope"}
    ) as r:
        assert r.status == 403
    async with running.session.delete(url) as r:
        assert r.status == 401


async def test_put_get_delete_one_officer(start_server: StartServer) -> None:
    running = await start_server(admin_token=ADMIN_TOKEN)
    url = f"{running.http}/api/officers/kim"
    async with running.session.put(url, json=officer("kim"), headers=admin()) as r:
        assert r.status == 201
        created = await r.json()
    assert created["tel_uri"] == "tel:+82200000101" and created["demo"] is False
    updated = await put_officer(running, officer("kim", role="head of duty", level="head"))
    assert updated["level"] == "head"
    async with running.session.get(url) as r:
        assert (await r.json())["role"] == "head of duty"

    bad = officer("kim", phone="02-123", districts=["nowhere"])
    async with running.session.put(url, json=bad, headers=admin()) as r:
        body = await r.json()
        assert r.status == 400
    assert {e["field"] for e in body["error"]["errors"]} == {"phone", "districts"}
    async with running.session.put(url, json=officer("lee"), headers=admin()) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "id_mismatch"

    async with running.session.delete(url, headers=admin()) as r:
        assert r.status == 204
    async with running.session.delete(url, headers=admin()) as r:
        assert r.status == 404
    async with running.session.get(url) as r:
        assert r.status == 404

"""`cityboard feeds check` on every fixture, as a user runs it: events, or one line and exit 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from server.cli.main import main
from tests.feeds.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "feeds" / "configs"
CONFIGS = FIXTURES / "configs"
ADAPTER_OF = {
    "cap": "cap",
    "cap-feeds": "cap",
    "cap-kr": "cap",
    "nws-api": "nws",
    "usgs-geojson": "usgs",
    "geojson": "geojson",
    "gdacs": "gdacs",
    "wzdx": "wzdx",
    "open511": "open511",
    "datex2": "datex2",
    "gtfs-rt": "gtfs-rt",
    "open311": "open311",
    "mapping": "mapping",
    "cameras": "cameras",
}
CONFIG_OF = {
    "geojson/nsw_rural_fire_service_feed.json": CONFIGS / "geojson-nsw-rfs.toml",
    "geojson/nsw-rfs-majorincidents-2020-03-19.json": CONFIGS / "geojson-nsw-rfs.toml",
    "open511/tmdd-output-1.json": CONFIGS / "open511-los-angeles.toml",
    "open511/tmdd-output-2.json": CONFIGS / "open511-new-york.toml",
    "open511/five.json": CONFIGS / "open511-montreal.toml",
    "mapping/mois-disaster-text.json": SHIPPED / "mois-disaster-text.toml",
    "mapping/seoul-topis-accinfo.json": SHIPPED / "seoul-topis-accinfo.toml",
    "mapping/seoul-civil-complaints-open311.json": SHIPPED / "seoul-civil-complaints-open311.toml",
    "mapping/ward-parking-cp949.csv": CONFIGS / "mapping-ward-parking-csv.toml",
    "mapping/korea-its-cctv.json": SHIPPED / "korea-its-cctv.toml",
}
ADAPTER_OVERRIDE = {"mapping/seoul-civil-complaints-open311.json": "open311"}
REJECTED = {  # documents that are not (valid) feeds of their adapter, each for a stated reason
    "cap/invalid.cap",
    "cap/invalid_schema.xml",
    "cap/invalid_xmlns.cap",
    "cap/no_optional_fields.cap",
    "cap/noaa_errors.cap",
    "cap/xee.cap",
    "cap-feeds/no_id.atom",  # its only entry has neither id nor link
    "wzdx/arrow_board_ok_example.geojson",
    "wzdx/camera_error_example.geojson",  # DeviceFeeds
    "open511/tmdd-input-1.xml",  # TMDD, the converter's input, not Open511
    "open311/service_list.json",
    "open311/services_giessen.xml",  # service lists
    "datex2/dialog-regulations.xml",  # traffic regulations, not situations
}
EMPTY = {
    "cap-feeds/empty_weather_index.atom",
    "cap-feeds/no_entries.atom",
    "usgs-geojson/earthquakes-2.json",
}  # valid documents listing nothing


def fixture_documents() -> list[str]:
    return sorted(
        f"{folder}/{p.name}"
        for folder in ADAPTER_OF
        for p in (FIXTURES / folder).iterdir()
        if p.suffix not in (".md", ".txtpb")
    )


@pytest.mark.parametrize("relpath", fixture_documents())
def test_feeds_check_on_every_fixture(
    relpath: str, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    adapter = ADAPTER_OVERRIDE.get(relpath, ADAPTER_OF[relpath.split("/")[0]])
    args = ["feeds", "check", adapter, str(FIXTURES / relpath), "--json"]
    if relpath in CONFIG_OF:
        args += ["--config", str(CONFIG_OF[relpath])]
    code = main(args)
    out, err = capfdbinary.readouterr()
    lines = err.decode().strip().splitlines()
    if relpath in REJECTED:
        assert code == 1 and out == b""
        assert len(lines) == 1 and f"rejected by {adapter}: " in lines[0], lines
        return
    assert code == 0, err.decode()
    events = [orjson.loads(line) for line in out.splitlines()]
    noun = "event" if len(events) == 1 else "events"
    assert f": {len(events)} {noun}, " in lines[-1] and " rejected" in lines[-1]
    if relpath in EMPTY:
        assert events == []
        return
    assert events, "a valid document yields events"
    for event in events:
        assert event["event_id"].startswith(event["source"] + ":")
        assert event["sent_at"].endswith("Z") and event["received_at"].endswith("Z")
        if "geometry" in event:
            lon, lat = event["point"]
            assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_every_fixture_folder_is_covered() -> None:
    not_feeds = {"configs", "recordings", "pii"}  # pii: the privacy corpus (tests/public)
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()} - not_feeds
    assert folders == set(ADAPTER_OF)


def test_a_warning_is_printed_and_the_event_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """canada_errors.cap: its `<references/>` is dropped with a warning, not the alert."""
    code = main(["feeds", "check", "cap", str(FIXTURES / "cap/canada_errors.cap")])
    out, err = capsys.readouterr()
    assert code == 0
    assert "cap:cap@ec.gc.ca,2.49.0.1.124.6bddbc91.2012" in out
    assert "warning: cap@ec.gc.ca,2.49.0.1.124.6bddbc91.2012: <references> is empty; ignored" in err
    assert err.strip().splitlines()[-1].endswith("1 event, 0 filtered, 0 rejected, 1 warning")


def test_a_non_finite_time_is_a_rejected_item_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = orjson.loads((FIXTURES / "usgs-geojson/earthquakes-1.json").read_bytes())
    doc["features"][1]["properties"]["time"] = "nan"
    path = tmp_path / "quakes.json"
    path.write_bytes(orjson.dumps(doc))
    code = main(["feeds", "check", "usgs", str(path)])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert len(out.splitlines()) == 2
    assert "rejected feature 2345: time 'nan' is not a finite number" in err
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith(
            "2 events, 0 filtered, 1 rejected (feature 2345: time 'nan' is not a finite number)"
        )
    )


def test_filtered_alerts_are_counted_with_the_reason_and_listed_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = (FIXTURES / "cap/thunderstorm.cap").read_bytes()
    path = tmp_path / "test-alert.cap"
    path.write_bytes(payload.replace(b"<status>Actual</status>", b"<status>Test</status>"))
    assert main(["feeds", "check", "cap", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.strip().splitlines()
    assert line == (
        f"cityboard: {path}: 0 events, 1 filtered (status Test: only Actual alerts are shown "
        "(option include_non_actual)), 0 rejected"
    )
    assert main(["feeds", "check", "cap", str(path), "--include-filtered"]) == 0
    out, err = capsys.readouterr()
    assert (
        f"cityboard: {path}: filtered KSTO@NWS.NOAA.GOV,KSTO1055887203: status Test: only "
        "Actual alerts are shown (option include_non_actual)"
    ) in err.splitlines()


@pytest.mark.parametrize(
    ("adapter", "relpath"),
    [("usgs", "usgs-geojson/earthquakes-1.json"), ("cap", "cap/thunderstorm.cap")],
)
def test_a_document_over_max_body_bytes_is_refused_while_reading(
    adapter: str, relpath: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The feed's own cap, for JSON and XML alike: the real document with padding past it."""
    payload = (FIXTURES / relpath).read_bytes()
    path = tmp_path / "big"
    path.write_bytes(payload + b" " * (4096 - len(payload)))
    config = tmp_path / "feed.toml"
    config.write_text(f'[[feeds]]\nname = "x"\nadapter = "{adapter}"\nmax_body_bytes = 4095\n')
    code = main(["feeds", "check", adapter, str(path), "--config", str(config)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"cityboard: {path}: rejected by {adapter}: larger than max_body_bytes (4095 bytes); "
        "not read further"
    ]
    config.write_text(f'[[feeds]]\nname = "x"\nadapter = "{adapter}"\nmax_body_bytes = 4096\n')
    assert main(["feeds", "check", adapter, str(path), "--config", str(config)]) == 0


def test_a_huge_file_is_refused_after_reading_only_the_default_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 64 GiB (sparse) file: only 20 MiB + 1 byte of it are read."""
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(64 * 1024**3)
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, *args, **kwargs)
        if self == path:
            read = handle.read

            def counted(size: int = -1) -> bytes:
                data = read(size)
                reads.append(len(data))
                return data

            handle.read = counted
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    assert main(["feeds", "check", "usgs", str(path)]) == 1
    _, err = capsys.readouterr()
    assert err.strip().endswith("larger than max_body_bytes (20971520 bytes); not read further")
    assert sum(reads) == 20 * 1024 * 1024 + 1


def test_a_time_dated_by_the_fetch_is_marked_and_its_fix_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NSW RFS with no config: its pubDates have no zone, so the fetch time dates them."""
    path = FIXTURES / "geojson/nsw_rural_fire_service_feed.json"
    assert main(["feeds", "check", "geojson", str(path)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3
    assert all(line.endswith("Z fetch time]") for line in out.splitlines())
    assert err.splitlines() == [
        f"cityboard: {path}: warning: pubDate '21/09/2018 6:30:00 AM' has no time zone: add "
        'timezone = "<Area/City>" to the feed\'s config; fetch time used for 3 events',
        f"cityboard: {path}: 3 events, 0 filtered, 0 rejected, 1 warning",
    ]
    config = CONFIGS / "geojson-nsw-rfs.toml"
    assert main(["feeds", "check", "geojson", str(path), "--config", str(config), "--json"]) == 0
    out, err = capsys.readouterr()
    events = [orjson.loads(line) for line in out.splitlines()]
    assert [e["sent_at"] for e in events] == [
        "2018-09-20T20:30:00Z",
        "2018-09-20T20:35:00Z",
        "2018-09-20T20:40:00Z",
    ]
    assert {e["time_basis"] for e in events} == {"source"} and "warning" not in err

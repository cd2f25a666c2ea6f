"""The recording format: written header-first, read as a stream, and damaged files handled."""

from __future__ import annotations

import gzip
import logging
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.errors import RecordingError
from server.replay.recording import (
    MAX_LINE_BYTES,
    TIME_FIELDS,
    EncodedEvent,
    Header,
    ReadStats,
    RecordingWriter,
    TimeShift,
    body_of,
    read_entries,
    read_header,
    read_lines,
)
from server.stream.events import Event, iso_utc
from tests.conftest import make_event


def entry(seq: int, second: int = 0) -> dict[str, Any]:
    at = iso_utc(datetime(2026, 11, 29, tzinfo=UTC) + timedelta(seconds=second))
    return {
        "seq": seq,
        "epoch": "e",
        "at": at,
        "type": "notice",
        "body": {"level": "info", "code": "x", "message": f"n{seq}", "at": at},
    }


def write(path: Path, count: int = 5) -> Path:
    writer = RecordingWriter(path, Header(city="Seoul", stream="live", epoch="e"))
    for n in range(1, count + 1):
        writer.write(entry(n, n))
    writer.close()
    return path


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz"])
def test_round_trip_with_span_and_count_in_the_header(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name)
    header = read_header(path)
    assert (header.entries, header.start, header.end) == (
        5,
        "2026-11-29T00:00:01Z",
        "2026-11-29T00:00:05Z",
    )
    assert [e["seq"] for e in read_entries(path)] == [1, 2, 3, 4, 5]
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert not list(tmp_path.glob(".*")), "no temporary files left behind"


def test_a_truncated_last_line_is_tolerated_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "r.jsonl")
    path.write_bytes(path.read_bytes()[:-25])  # a crash mid-write
    stats = ReadStats()
    with caplog.at_level(logging.WARNING):
        seqs = [e["seq"] for e in read_entries(path, stats=stats)]
    assert seqs == [1, 2, 3, 4] and stats.truncated_tail
    assert "cut short" in caplog.text


def test_a_truncated_gzip_is_tolerated(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl.gz", count=2000)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    stats = ReadStats()
    seqs = [e["seq"] for e in read_entries(path, stats=stats)]
    assert stats.truncated_tail and 0 < len(seqs) < 2000
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_bad_line_in_the_middle_names_its_number_or_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl")
    lines = path.read_bytes().splitlines(keepends=True)
    lines[3] = b"{this is not json\n"  # the third entry, line 4 of the file
    path.write_bytes(b"".join(lines))
    with pytest.raises(RecordingError, match="line 4 is not a log entry"):
        list(read_entries(path))
    stats = ReadStats()
    assert [e["seq"] for e in read_entries(path, skip_bad=True, stats=stats)] == [1, 2, 4, 5]
    assert stats.skipped_lines == [4]


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz"])
def test_a_line_too_long_for_an_entry_is_bad_and_never_held_whole(
    tmp_path: Path, name: str
) -> None:
    path = write(tmp_path / name)
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    lines = raw.splitlines(keepends=True)
    lines[3] = b'{"seq":3,"body":"' + b"x" * (16 * MAX_LINE_BYTES) + b'"}\n'
    path.write_bytes(b"".join(lines))
    with pytest.raises(RecordingError, match="line 4 is not a log entry"):
        list(read_entries(path))
    stats = ReadStats()
    tracemalloc.start()
    try:
        read = list(read_lines(path, skip_bad=True, stats=stats))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(lines[3]) / 2, "the long line was read a piece at a time, never whole"
    assert [e["seq"] for _, _, _, e in read] == [1, 2, 4, 5] and stats.skipped_lines == [4]
    line, offset, _, _ = read[1]
    assert [e["seq"] for _, _, _, e in read_lines(path, after=(line, offset), skip_bad=True)] == [
        4,
        5,
    ], "offsets count the long line whole"


@pytest.mark.parametrize(
    "at", [None, 7, "yesterday", "2026-11-29T00:00:03", "2026-11-29T00:00:03Z-ish"]
)
def test_an_entry_without_an_aware_time_is_a_bad_line(tmp_path: Path, at: Any) -> None:
    """A player paces and seeks by `at`: a hostile one is named by its line, or skipped."""
    path = write(tmp_path / "r.jsonl")
    lines = path.read_bytes().splitlines(keepends=True)
    lines[3] = orjson.dumps({**entry(3, 3), "at": at}) + b"\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(RecordingError, match="line 4 is not a log entry"):
        list(read_entries(path))
    stats = ReadStats()
    read = list(read_lines(path, skip_bad=True, stats=stats))
    assert [e["seq"] for _, _, _, e in read] == [1, 2, 4, 5] and stats.skipped_lines == [4]
    assert [at for _, _, at, _ in read] == [
        datetime(2026, 11, 29, 0, 0, s, tzinfo=UTC) for s in (1, 2, 4, 5)
    ], "each entry's time, parsed once"


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz"])
def test_a_read_resumes_just_past_any_line_with_the_true_line_numbers(
    tmp_path: Path, name: str
) -> None:
    path = write(tmp_path / name, count=20)
    lines = list(read_lines(path))
    assert [number for number, _, _, _ in lines] == list(range(2, 22))
    line, offset, _, _ = lines[11]
    assert list(read_lines(path, after=(line, offset))) == lines[12:]
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    damaged = raw.splitlines(keepends=True)
    damaged[17] = b"{not an entry\n"
    path.write_bytes(b"".join(damaged))  # plain now: readers go by content, not name
    with pytest.raises(RecordingError, match="line 18 is not a log entry"):
        list(read_lines(path, after=(line, offset)))
    stats = ReadStats()
    for _ in range(2):  # read twice, as a replay that loops or seeks rereads
        list(read_lines(path, after=(line, offset), skip_bad=True, stats=stats))
    assert stats.skipped_lines == [18], "counted once"


def test_unknown_versions_and_wrong_files_are_refused_clearly(tmp_path: Path) -> None:
    future = tmp_path / "future.jsonl"
    future.write_bytes(orjson.dumps({"format": "cityboard-recording", "format_version": 9}) + b"\n")
    with pytest.raises(RecordingError, match="format_version 9 is not readable"):
        read_header(future)
    csv = tmp_path / "events.csv"
    csv.write_text("id,title\n1,x\n")
    with pytest.raises(RecordingError, match="not a cityboard recording"):
        read_header(csv)
    other = tmp_path / "other.json"
    other.write_text('{"type": "FeatureCollection"}\n')
    with pytest.raises(RecordingError, match="wrong file type"):
        read_header(other)
    gz = tmp_path / "notes.txt.gz"
    gz.write_bytes(gzip.compress(b"hello\n"))
    with pytest.raises(RecordingError, match="not a cityboard recording"):
        read_header(gz)


def test_readers_keep_unknown_header_fields(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    head = {"format": "cityboard-recording", "format_version": 1, "entries": 0, "drill": "D-7"}
    path.write_bytes(orjson.dumps(head) + b"\n")
    assert read_header(path).extra == {"drill": "D-7"}


# ------------------------------------------------------------------ bodies, as a replay reads them

SHIFT = timedelta(days=137, seconds=5, microseconds=123_457)  # carries into seconds and days
WHOLE_SHIFT = timedelta(days=137, seconds=86_395)  # as a player's: moves times by the second


def logged(event: Event) -> dict[str, Any]:
    """An event entry as the log records it."""
    return {
        "seq": 1,
        "epoch": "e",
        "at": "2026-11-29T00:00:01Z",
        "type": "event",
        "body": orjson.loads(event.dump()),
    }


def by_the_model(body: dict[str, Any], shift: TimeShift | None) -> EncodedEvent:
    """What a replay made of every event body before it had a quick path: times moved one by one,
    then the model, validated and dumped."""
    moved = dict(body)
    for key in TIME_FIELDS if shift is not None else ():
        if moved.get(key):
            when = datetime.fromisoformat(str(moved[key]).replace("Z", "+00:00")) + shift.shift
            moved[key] = iso_utc(when)
    return EncodedEvent.of(Event.model_validate(moved))


LOGGED_EVENTS = [
    make_event(1),
    make_event(2, status="resolved", district="11110", version=7),
    make_event(
        3,
        title="한강 수위 상승 — “주의”",
        description="line one\nline two\t\u0007",
        translations={"en": {"title": "Han river rising"}},
        geometry={
            "type": "Polygon",
            "coordinates": [[[126.9, 37.5], [127.0, 37.5], [127.0, 37.6], [126.9, 37.5]]],
        },
        sent_at="2026-11-28T23:00:00Z",
        expires_at="2026-11-29T09:00:00.5+09:00",
        url="https://example.org/a?b=c",
        refs=["test:e0"],
        extra={"depth_m": 1e-7, "big": 1e22, "n": -3, "nested": {"list": [1.5, None, True]}},
    ),
    make_event(4, geometry=None, sent_at="2026-11-29T00:00:00.000001+00:00"),
]


@pytest.mark.parametrize(
    "shift",
    [None, TimeShift(SHIFT), TimeShift(WHOLE_SHIFT)],
    ids=["as recorded", "shifted", "shifted by whole seconds"],
)
@pytest.mark.parametrize("event", LOGGED_EVENTS, ids=lambda e: e.event_id)
def test_a_logged_event_replays_exactly_as_the_model_would_give_it(
    event: Event, shift: TimeShift | None
) -> None:
    entry = logged(event)
    assert body_of(entry, shift) == by_the_model(entry["body"], shift)


def model_or_none(body: Any) -> EncodedEvent | None:
    try:
        return EncodedEvent.of(Event.model_validate(body))
    except ValueError:
        return None


def test_bodies_not_in_the_logs_form_go_through_the_model(caplog: pytest.LogCaptureFixture) -> None:
    short = {
        "event_id": "old:1",
        "source": "old",
        "kind": "traffic",
        "category": "traffic.other",
        "severity": "minor",
        "title": "from an older writer",
        "sent_at": "2026-11-29T00:00:00+09:00",
        "received_at": "2026-11-29T00:00:00Z",
    }
    good = orjson.loads(make_event(1).dump())
    odd = [
        short,
        {**good, "version": True},
        {**good, "version": "2"},
        {**good, "kind": "weather"},
        {**good, "kind": ["traffic"]},
        {**good, "sent_at": 5},
        {**good, "district": 11110},
        {**good, "surprise": 1},
        {**good, "title": ""},
        {**good, "title": "  padded  "},
        {**good, "title": "x" * 301},
        {**good, "title": 7},
        {**good, "description": "x" * 10_001},
        {**good, "url": "javascript:alert(1)"},
        {k: v for k, v in good.items() if k != "point"},
        [good],
    ]
    for seq, body in enumerate(odd, start=10):
        expected = model_or_none(body)
        with caplog.at_level(logging.WARNING):
            assert body_of({"seq": seq, "type": "event", "body": body}, None) == expected, body
        assert (f"replay skipped entry {seq}:" in caplog.text) == (expected is None)
    filled = body_of({"seq": 1, "type": "event", "body": short}, None)
    assert filled is not None and orjson.loads(filled.json)["status"] == "active"
    assert filled.updated_at == "2026-11-28T15:00:00Z", "defaults filled, times in UTC"


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-29T23:59:58Z",
        "2026-11-29T23:59:58.000001Z",
        "2026-11-29T23:59:58.999999Z",
        "2026-11-29T23:59:58.000000Z",
        "2026-11-29T23:59:58.05Z",
        "2026-11-29T23:59:58.5+09:00",
        "2026-11-29 23:59:58.500000Z",
        "2026-02-28T23:59:59.250000Z",
    ],
)
def test_a_whole_second_shift_moves_a_time_as_a_full_parse_would(value: str) -> None:
    shift = TimeShift(WHOLE_SHIFT)
    parsed = iso_utc(datetime.fromisoformat(value) + WHOLE_SHIFT)
    assert shift.move(value) == parsed
    assert shift.move(value) == parsed, "and again, remembered"


def test_a_whole_second_shift_moves_new_pairs_of_a_known_second_and_fraction_alike() -> None:
    shift = TimeShift(WHOLE_SHIFT)
    seen = ["2026-11-29T23:59:58.250000Z", "2026-11-30T00:00:00Z"]
    for value in [*seen, "2026-11-30T00:00:00.250000Z", "2026-11-29T23:59:58Z"]:
        assert shift.move(value) == iso_utc(datetime.fromisoformat(value) + WHOLE_SHIFT), value


@pytest.mark.parametrize("value", ["2026-13-29T23:59:58Z", "2026-11-29T23:59:58.x00000Z", "Z"])
def test_a_whole_second_shift_refuses_what_is_not_a_time(value: str) -> None:
    with pytest.raises(ValueError):
        TimeShift(WHOLE_SHIFT).move(value)


def test_a_time_shift_keeps_the_logs_time_form() -> None:
    shift = TimeShift(timedelta(hours=1, microseconds=-50_000))
    assert shift.apply({"at": "2026-11-29T23:30:00.05Z"}, ["at"]) == {"at": "2026-11-30T00:30:00Z"}
    assert shift.apply({"at": "2026-11-29T23:30:00Z"}, ["at"]) == {
        "at": "2026-11-30T00:29:59.950000Z"
    }
    assert shift.apply({"at": "2026-11-30T09:30:00.05+09:00"}, ["at"]) == {
        "at": "2026-11-30T01:30:00Z"
    }
    with pytest.raises(ValueError):
        shift.apply({"at": "yesterday Z"}, ["at"])

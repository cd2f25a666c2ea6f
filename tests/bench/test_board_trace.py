"""`bench.board --trace-load` names where a long task's time went: self time per part (a parent's
time minus its children's), JS by the script and line the browser called into, short tasks
left out. Fed a trace shaped like Chromium's (complete events of the renderer's main thread)."""

from __future__ import annotations

from typing import Any

from bench.board import TRACE_TASK_MS, long_tasks, main_thread_between


def event(name: str, ts_ms: float, dur_ms: float, url: str | None = None) -> dict[str, Any]:
    data = {"url": url, "lineNumber": 64} if url else {}
    span = {"ts": ts_ms * 1000, "dur": dur_ms * 1000}
    return {"name": name, "ph": "X", **span, "args": {"data": data}}


def test_self_time_per_part_of_each_long_task() -> None:
    trace = [
        event("RunTask", 0, 300),  # a websocket message: 200 ms before any JS runs
        event("FunctionCall", 200, 90, "http://127.0.0.1/js/connection.js"),
        event("MinorGC", 250, 30),  # inside the call: not the call's own time
        event("RunTask", 400, TRACE_TASK_MS / 2),  # a short task: not listed
        event("RunTask", 500, 120),
        event("Layout", 510, 70),
        event("Paint", 590, 20),
    ]
    tasks = long_tasks(trace)
    assert [task["ts"] for task, _ in tasks] == [0, 500_000]
    first, second = (parts for _, parts in tasks)
    assert first == {"RunTask": 210.0, "connection.js:64": 60.0, "MinorGC": 30.0}
    assert second == {"RunTask": 30.0, "Layout": 70.0, "Paint": 20.0}


def test_main_thread_busy_and_cpu_between_two_marks() -> None:
    """The snapshot's cost on a busy machine: its tasks' thread time (`tdur`) beside their wall
    time, counting each top-level task that starts between arrival and rendered, once."""
    trace = [
        {**event("RunTask", 0, 50), "tdur": 40_000},  # before the arrival: not counted
        {**event("RunTask", 100, 80), "tdur": 30_000},  # descheduled for 50 ms of its 80
        event("FunctionCall", 110, 60, "http://127.0.0.1/js/updates.js"),  # inside it
        {**event("RunTask", 200, 20), "tdur": 20_000},
        {**event("RunTask", 300, 10), "tdur": 10_000},  # after rendered: not counted
    ]
    assert main_thread_between(trace, 100_000, 300_000) == (100.0, 50.0, 30.0)

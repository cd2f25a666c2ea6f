"""`board`: rendering of the wall board in headless Chromium (a benchmark, not a test).

1. time to render a 5,000-event snapshot: from navigation, and from the snapshot's arrival on the
   socket, until the list count, the lists and the map (markers, clustered, and the lines and
   areas: nothing left in its backlog) all show the 5,000 active events;
2. frame times while 100 entries/s arrive for 10 s (new events, updates, cancellations): the
   interval between animation frames as the page sees them, and long tasks (> 50 ms).

It starts its own server (`cityboard serve --no-demo`, temporary database) and pushes synthetic
events through `POST /api/push/bench`; nothing else is needed but Debian's chromium and the test
extras (`pip install -e '.[test]'`). No baseline: its targets are absolute (what a wall needs).

Run:  python -m bench board   (in the suite's table), or, to look into it,
      python -m bench.board [--events 5000] [--rate 100] [--seconds 10] [--size 1920x1080]
                            [--profile] [--profile-load] [--trace] [--trace-load]
      python -m bench.board --compare OLD/frontend frontend [--rounds 3] [--resizes 20]
                            (two builds' loads, alternated, each round beside the floor: a page
                            that only receives the snapshot's parts; then the map's refit when
                            the KPI row grows, beside a frame without it)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from bench.harness import REPO, SOURCE, Figure, Result, cityboard, post_json, running, say, scratch
from server.stream.protocol import SNAPSHOT_PART_EVENTS

CHROMIUM = "/usr/bin/chromium"
SNAPSHOT_TARGET_MS = 500.0  # a 5,000-event snapshot on the wall
LONG_TASK_TARGET_MS = 100.0  # no task over this while it loads
SETTLE_SECONDS = 2.0  # chunked marker loading and the first KPI pass

KINDS = {
    "disaster": ["heavy_rain", "fire", "heat", "flood", "power_outage", "landslide", "other"],
    "traffic": ["accident", "closure", "roadwork", "congestion", "transit_disruption", "hazard"],
    "complaint": ["noise", "illegal_parking", "waste", "road_damage", "streetlight", "odor"],
}
SEVERITIES = ["extreme"] * 1 + ["severe"] * 4 + ["moderate"] * 20 + ["minor"] * 45 + ["info"] * 30

# Measures frame intervals and long tasks from the start of the page, and when the snapshot arrives
# (a listener added in the socket's constructor runs before the page's own; text or binary frames).
INIT_SCRIPT = """
window.__bench = {frames: [], longtasks: [], recording: false};
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (e) => {
      const head = typeof e.data === "string" ? e.data.slice(0, 100)
        : new TextDecoder().decode(new Uint8Array(e.data, 0, Math.min(100, e.data.byteLength)));
      if (head.includes('"snapshot"')) {
        if (window.__bench.snapshotAt === undefined) console.timeStamp("bench:snapshot-arrived");
        window.__bench.snapshotAt ??= performance.now();
      }
    });
  }
};
(function loop(last) {
  requestAnimationFrame((t) => {
    if (window.__bench.recording && last !== null) window.__bench.frames.push(t - last);
    loop(t);
  });
})(null);
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__bench.longtasks.push({start: e.startTime, ms: e.duration});
    }
  }).observe({type: "longtask", buffered: true});
} catch (e) {}
"""


def district_points() -> list[tuple[str, float, float]]:
    """A point near the middle of each district (mean of its outer ring), with its code."""
    geo = json.loads((REPO / "server" / "data" / "seoul-districts.geojson").read_text())
    out = []
    for f in geo["features"]:
        g = f["geometry"]
        ring = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
        lon = sum(p[0] for p in ring) / len(ring)
        lat = sum(p[1] for p in ring) / len(ring)
        out.append((f["properties"]["code"], lon, lat))
    return out


class Events:
    """Synthetic events spread over the districts, with lines and areas among the points."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.points = district_points()
        self.now = datetime.now(UTC)
        self.versions: dict[str, int] = {}
        self.bodies: dict[str, dict[str, Any]] = {}

    def new(self, n: int) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choice(list(KINDS))
        sub = rng.choice(KINDS[kind])
        code, lon, lat = rng.choice(self.points)
        lon += rng.uniform(-0.012, 0.012)
        lat += rng.uniform(-0.01, 0.01)
        shape = rng.random()
        if shape < 0.2:
            geometry: dict[str, Any] = {
                "type": "LineString",
                "coordinates": [[lon - 0.004, lat - 0.001], [lon, lat], [lon + 0.004, lat + 0.001]],
            }
        elif shape < 0.23:
            d = 0.006
            geometry = {
                "type": "Polygon",
                "coordinates": [
                    [
                        [lon - d, lat - d],
                        [lon + d, lat - d],
                        [lon + d, lat + d],
                        [lon - d, lat + d],
                        [lon - d, lat - d],
                    ]
                ],
            }
        else:
            geometry = {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}
        sent = self.now - timedelta(seconds=rng.uniform(0, 20 * 3600))
        ext = f"e{n}"
        body = {
            "event_id": ext,
            "version": 1,
            "kind": kind,
            "category": f"{kind}.{sub}",
            "severity": rng.choice(SEVERITIES),
            "title": f"합성 {kind} {sub} #{n} — 벤치마크용 가짜 상황, 두 줄이 될 만큼 긴 제목",
            "translations": {
                "en": {"title": f"Synthetic {kind} {sub} #{n} — a fake event for the benchmark"}
            },
            "description": "벤치마크용 합성 이벤트입니다. " * 4,
            "district": code,
            "sent_at": sent.isoformat(),
            "geometry": geometry,
        }
        self.versions[ext] = 1
        self.bodies[ext] = body
        return body

    def update(self) -> dict[str, Any]:
        ext = self.rng.choice(list(self.bodies))
        body = dict(self.bodies[ext])
        self.versions[ext] += 1
        body["version"] = self.versions[ext]
        body["severity"] = self.rng.choice(SEVERITIES)
        body["updated_at"] = datetime.now(UTC).isoformat()
        self.bodies[ext] = body
        return body

    def cancel(self) -> dict[str, Any]:
        body = self.update()
        body["status"] = "cancelled"
        del self.bodies[body["event_id"]]
        return body


def push(base: str, events: list[dict[str, Any]]) -> None:
    post_json(f"{base}/api/push/{SOURCE}", json.dumps(events).encode())


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def print_profile(profile: dict[str, Any], top: int = 25, title: str = "the burst") -> None:
    """Self time per function (and where it is) from a CDP CPU profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    self_us: dict[int, float] = {}
    for sample, dt in zip(profile.get("samples", []), deltas, strict=False):
        self_us[sample] = self_us.get(sample, 0.0) + dt
    by_fn: dict[str, float] = {}
    for node_id, us in self_us.items():
        cf = nodes[node_id]["callFrame"]
        where = (
            f"{cf['functionName'] or '(anonymous)'} {Path(cf['url']).name}:{cf['lineNumber'] + 1}"
        )
        by_fn[where] = by_fn.get(where, 0.0) + us
    total = sum(by_fn.values()) or 1.0
    print(f"CPU self time during {title} (top functions):")
    for where, us in sorted(by_fn.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {us / 1000:8.1f} ms {100 * us / total:5.1f}%  {where}")


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute"]
TRACE_TASK_MS = 30.0  # tasks at least this long are listed one by one, with what filled them


def print_trace(trace: dict[str, Any] | list[Any], top: int = 15, title: str = "the burst") -> None:
    """Main-thread time by trace event name (Layout, UpdateLayoutTree, Paint, FunctionCall...),
    then each long task with its biggest parts: where a task's time went, JS or not."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    main = main_thread(events)
    totals: dict[str, float] = {}
    for e in main:
        totals[e["name"]] = totals.get(e["name"], 0.0) + e["dur"] / 1000
    cpu = load_cpu(events, main)
    if cpu is not None:
        print(
            f"main thread from the snapshot's arrival to rendered ({cpu[0]:.0f} ms):"
            f" busy {cpu[1]:.0f} ms, CPU {cpu[2]:.0f} ms, longest task's CPU {cpu[3]:.0f} ms"
        )
    print(f"renderer main thread during {title}, by phase (inclusive ms):")
    for name, ms in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {ms:8.1f} ms  {name}")
    print(f"tasks over {TRACE_TASK_MS:.0f} ms (from the first traced event; self time by part):")
    t0 = min((e["ts"] for e in main), default=0)
    for task, parts in long_tasks(main):
        biggest = sorted(parts.items(), key=lambda kv: -kv[1])[:7]
        text = ", ".join(f"{name} {ms:.0f}" for name, ms in biggest)
        cpu = f" (CPU {task['tdur'] / 1000:.0f})" if "tdur" in task else ""
        print(f"  +{(task['ts'] - t0) / 1000:7.0f} ms  {task['dur'] / 1000:6.1f} ms{cpu}: {text}")


def main_thread_between(
    main: list[dict[str, Any]], start: float, end: float
) -> tuple[float, float, float]:
    """Wall ms, thread (CPU) ms and the longest task's CPU ms of the top-level tasks starting in
    [start, end): on a shared machine a task's wall time is mostly waiting for a CPU."""
    busy = cpu = longest = 0.0
    until = float("-inf")
    for e in sorted(main, key=lambda e: (e["ts"], -e["dur"])):
        if e["ts"] < until:
            continue  # inside a task already counted
        until = e["ts"] + e["dur"]
        if start <= e["ts"] < end:
            busy += e["dur"] / 1000
            cpu += e.get("tdur", 0) / 1000
            longest = max(longest, e.get("tdur", 0) / 1000)
    return busy, cpu, longest


def main_thread(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The renderer main thread's complete events."""
    main_tids = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    return [
        e
        for e in events
        if e.get("ph") == "X" and (e.get("pid"), e.get("tid")) in main_tids and "dur" in e
    ]


def load_cpu(
    events: list[dict[str, Any]], main: list[dict[str, Any]]
) -> tuple[float, float, float, float] | None:
    """From the snapshot's arrival to its rendering (the page's marks): wall, busy, CPU and the
    longest task's CPU (ms); None without both marks."""
    marks = {
        e["args"]["data"].get("message"): e["ts"]
        for e in events
        if e.get("name") == "TimeStamp" and isinstance(e.get("args", {}).get("data"), dict)
    }
    start, end = marks.get("bench:snapshot-arrived"), marks.get("bench:snapshot-rendered")
    if start is None or end is None:
        return None
    return ((end - start) / 1000, *main_thread_between(main, start, end))


def _label(e: dict[str, Any]) -> str:
    """A trace event's part name: JS by where the browser called into it, the rest by phase."""
    url = e.get("args", {}).get("data", {}).get("url")
    if e["name"] in ("FunctionCall", "EventDispatch", "TimerFire", "FireAnimationFrame") and url:
        return f"{Path(url).name}:{e['args']['data'].get('lineNumber', 0)}"
    return str(e["name"])


def long_tasks(main: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, float]]]:
    """Each top-level task of at least TRACE_TASK_MS with the self time (ms) of its parts."""
    out: list[tuple[dict[str, Any], dict[str, float]]] = []
    stack: list[dict[str, Any]] = []
    task: dict[str, Any] | None = None
    parts: dict[str, float] = {}
    for e in [*sorted(main, key=lambda e: (e["ts"], -e["dur"])), None]:
        while stack and (e is None or stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]):
            stack.pop()
        if not stack:
            if task is not None and task["dur"] >= TRACE_TASK_MS * 1000:
                out.append((task, {k: v / 1000 for k, v in parts.items()}))
            if e is None:
                break
            task, parts = e, {}
        else:
            parent = _label(stack[-1])
            parts[parent] = parts.get(parent, 0.0) - e["dur"]
        label = _label(e)
        parts[label] = parts.get(label, 0.0) + e["dur"]
        stack.append(e)
    return out


LOADED_JS = """() => {
  const c = document.querySelector('[data-testid="event-count"]');
  const m = document.querySelector('[data-testid="map"]');
  // a build from before data-pending (--compare) counts as drawn once its markers are
  if (c && c.dataset.count === '%d' && m && m.dataset.shown === '%d'
      && (m.dataset.pending ?? '0') === '0'
      && document.querySelectorAll('.leaflet-marker-icon').length > 0) {
    if (window.__bench.rendered === undefined) console.timeStamp("bench:snapshot-rendered");
    window.__bench.rendered ??= performance.now();
    return true;
  }
  return false;
}"""

LOAD_FIGURES_JS = """() => {
  const b = window.__bench;
  const lt = b.longtasks.filter((t) => t.start <= b.rendered);
  const after = lt.filter((t) => t.start + t.ms >= b.snapshotAt);
  const heap = performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null;
  return {
    rendered: b.rendered,
    rows: document.querySelectorAll('[data-testid="event-row"]').length,
    longest: Math.max(0, ...lt.map((t) => t.ms)),
    longTasks: lt.length,
    arrived: b.snapshotAt,
    longestAfter: Math.max(0, ...after.map((t) => t.ms)),
    longTasksAfter: after.length,
    heapMB: heap,
  };
}"""

START_RECORDING_JS = """() => {
  const b = window.__bench;
  b.frames = []; b.longtasks = []; b.recording = true; b.t0 = performance.now();
}"""

STOP_RECORDING_JS = """() => {
  const b = window.__bench;
  b.recording = false;
  return {frames: b.frames, longtasks: b.longtasks, ms: performance.now() - b.t0};
}"""


def start_profiler(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    return cdp


def open_page(browser: Any, args: argparse.Namespace, errors: list[str]) -> Any:
    width, height = (int(x) for x in args.size.split("x"))
    page = browser.new_context(
        viewport={"width": width, "height": height}, locale="ko-KR"
    ).new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(INIT_SCRIPT)
    if args.js:
        page.add_init_script(args.js)
    if args.css:
        page.add_init_script(
            "document.addEventListener('DOMContentLoaded', () => {"
            " const s = document.createElement('style');"
            f" s.textContent = {json.dumps(args.css)}; document.head.append(s); }})"
        )
    return page


def measure_load(
    page: Any, browser: Any, base: str, n: int, profile: bool, trace: bool
) -> dict[str, Any]:
    """Navigate and wait until the list count, the lists and the map show all `n` events."""
    cdp = start_profiler(page) if profile else None
    if trace:
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    page.goto(base + "/")
    page.wait_for_function(LOADED_JS % (n, n), polling="raf", timeout=120_000)
    load = page.evaluate(LOAD_FIGURES_JS)
    print(
        f"snapshot of {n} events rendered (list + map) {load['rendered']:.0f} ms after"
        f" navigation; {load['rows']} rows in the DOM; {load['longTasks']} long tasks,"
        f" longest {load['longest']:.0f} ms; JS heap {load['heapMB'] or 0:.0f} MB"
    )
    print(
        f"the snapshot arrived {load['arrived']:.0f} ms after navigation and was rendered"
        f" {load['rendered'] - load['arrived']:.0f} ms later; {load['longTasksAfter']} long tasks"
        f" from its arrival, longest {load['longestAfter']:.0f} ms"
    )
    if cdp is not None:
        print_profile(cdp.send("Profiler.stop")["profile"], title="the load")
    if trace:
        print_trace(json.loads(browser.stop_tracing()), title="the load")
    return dict(load)


def burst(base: str, gen: Events, first_id: int, rate: int, seconds: float) -> int:
    """`rate` entries/s for `seconds`, in ten pushes a second: half new events, four in ten
    updates, one in ten cancellations. Returns how many entries were sent."""
    sent = 0
    tick = 0.1
    per_tick = max(1, round(rate * tick))
    stop = time.perf_counter() + seconds
    next_at = time.perf_counter()
    counter = first_id
    while time.perf_counter() < stop:
        batch = []
        for _ in range(per_tick):
            r = gen.rng.random()
            if r < 0.5:
                batch.append(gen.new(counter))
                counter += 1
            elif r < 0.9:
                batch.append(gen.update())
            else:
                batch.append(gen.cancel())
        push(base, batch)
        sent += len(batch)
        next_at += tick
        time.sleep(max(0.0, next_at - time.perf_counter()))
    return sent


def measure_burst(
    page: Any, browser: Any, base: str, gen: Events, args: argparse.Namespace
) -> dict[str, Any]:
    cdp = start_profiler(page) if args.profile else None
    if args.trace:
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    page.evaluate(START_RECORDING_JS)
    sent = burst(base, gen, args.events, args.rate, args.seconds)
    active = len(gen.bodies)
    page.wait_for_function(
        "n => document.querySelector('[data-testid=\"event-count\"]').dataset.count === n",
        arg=str(active),
        timeout=30_000,
    )
    result = page.evaluate(STOP_RECORDING_JS)
    frames = result["frames"]
    lts = [t["ms"] for t in result["longtasks"]]
    fps = len(frames) / (result["ms"] / 1000)
    print(
        f"burst: {sent} entries in {args.seconds:.0f} s ({sent / args.seconds:.0f}/s),"
        f" {active} active at the end, the board agrees"
    )
    print(
        f"frames during the burst: {len(frames)} ({fps:.0f} fps);"
        f" interval median {statistics.median(frames):.1f} ms, p95 {pct(frames, 95):.1f} ms,"
        f" p99 {pct(frames, 99):.1f} ms, max {max(frames):.1f} ms;"
        f" frames over 50 ms: {sum(1 for f in frames if f > 50)}"
    )
    longest = f", longest {max(lts):.0f} ms, total {sum(lts):.0f} ms" if lts else ""
    print(f"long tasks during the burst: {len(lts)}{longest}")
    if cdp is not None:
        print_profile(cdp.send("Profiler.stop")["profile"])
    if args.trace:
        print_trace(json.loads(browser.stop_tracing()))
    return {"frames": frames, "long_tasks": lts, "fps": fps}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench.board",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--rate", type=int, default=100, help="entries per second during the burst")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--profile", action="store_true", help="where the burst's CPU time went")
    ap.add_argument("--profile-load", action="store_true", help="where the load's CPU time went")
    ap.add_argument("--trace", action="store_true", help="the burst's time by phase (Chrome trace)")
    ap.add_argument("--trace-load", action="store_true", help="the load's time by phase and task")
    ap.add_argument("--js", default="", help="extra script run before the page's (experiments)")
    ap.add_argument("--css", default="", help="extra CSS (experiments), e.g. '.kpis{display:none}'")
    ap.add_argument("--screenshot", default="", help="save the loaded board as this PNG")
    ap.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="FRONTEND",
        help="only the load, alternating between these frontend folders (e.g. an older commit's:"
        " git archive COMMIT frontend | tar -x -C DIR), with its main-thread CPU",
    )
    ap.add_argument("--rounds", type=int, default=3, help="loads of each folder with --compare")
    ap.add_argument(
        "--resizes", type=int, default=20, help="map refits timed after each load with --compare"
    )
    return ap.parse_args(argv)


def session(args: argparse.Namespace) -> dict[str, Any]:
    """A server with `args.events` events, a page that loads them, then the burst."""
    with scratch("board") as tmp, running(cityboard(tmp)) as server:
        gen = Events()
        t0 = time.perf_counter()
        for start in range(0, args.events, 1000):
            push(server.base, [gen.new(n) for n in range(start, min(args.events, start + 1000))])
        say(f"board: pushed {args.events} events in {time.perf_counter() - t0:.1f} s")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
            floor = floor_ms(browser, server.base, args.events)
            errors: list[str] = []
            page = open_page(browser, args, errors)
            load = measure_load(
                page, browser, server.base, args.events, args.profile_load, args.trace_load
            )
            print(f"floor: a page that only receives the snapshot's parts: {floor:.0f} ms")
            time.sleep(SETTLE_SECONDS)
            if args.screenshot:
                page.screenshot(path=args.screenshot)
            burst_figures = measure_burst(page, browser, server.base, gen, args)
            if errors:
                print("page errors:", *errors, sep="\n  ")
            browser.close()
    return {"load": load, "floor": floor, "burst": burst_figures, "errors": errors}


# The machine's floor for the snapshot: a page that only receives its parts (binary, unread) and
# notes when each arrives; the board's arrival → rendered is set beside its first → last part.
FLOOR_JS = """() => {
  window.__floor = [];
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify({v: 1, type: "hello", binary_snapshot: true}));
  ws.onmessage = (e) => { if (typeof e.data !== "string") window.__floor.push(performance.now()); };
}"""


def floor_ms(browser: Any, base: str, n: int) -> float:
    """From the snapshot's first part to its last in a page that does nothing with them (ms)."""
    page = browser.new_context().new_page()
    page.goto(base + "/readyz")  # any page of the server's: the socket's origin
    page.evaluate(FLOOR_JS)
    parts = max(1, -(-n // SNAPSHOT_PART_EVENTS))
    page.wait_for_function(f"() => window.__floor.length === {parts}", timeout=120_000)
    times = page.evaluate("() => window.__floor")
    page.context.close()
    return float(times[-1] - times[0])


def serve_from(folder: Path) -> Any:
    """A route handler: the page's scripts and vendored files from `folder` (another build's
    frontend/), everything else from the server."""

    def handler(route: Any) -> None:
        path = urlsplit(route.request.url).path.lstrip("/")
        file = folder / path
        if path.startswith(("js/", "vendor/")) and file.is_file():
            route.fulfill(path=str(file))
        else:
            route.continue_()

    return handler


# The map's refit when the KPI row under it grows or shrinks by 40 px (as it does when its tiles
# fill): from the change, made at the start of a frame, to the first task after that frame's
# ResizeObservers (the map's runs first), so its layout, the refit, paint and commit; beside the
# same for a hidden box resized alike (a frame with a layout and no map: the floor). Medians, ms.
RESIZE_JS = """async (n) => {
  const kpis = document.querySelector('.kpis');
  const probe = document.body.appendChild(document.createElement('div'));
  probe.style.cssText = 'position: absolute; top: 0; width: 1px; visibility: hidden';
  let done = null;
  const seen = new ResizeObserver(() => done && setTimeout(done));
  seen.observe(kpis);
  seen.observe(probe);
  const frame = (style, px) => new Promise((resolve) => requestAnimationFrame(() => {
    const t0 = performance.now();
    done = () => { done = null; resolve(performance.now() - t0); };
    style.minHeight = `${px}px`;
  }));
  const base = kpis.offsetHeight, refit = [], floor = [];
  for (let i = 0; i < n; i++) {
    refit.push(await frame(kpis.style, base + (i % 2 ? 0 : 40)));
    floor.push(await frame(probe.style, 1 + (i % 2 ? 0 : 40)));
  }
  seen.disconnect();
  probe.remove();
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return [median(refit), median(floor)];
}"""


def compare(args: argparse.Namespace) -> None:
    """The snapshot's load alternating between frontend folders, `args.rounds` each: one server,
    one browser, the same events, so the machine's other jobs weigh on every build alike."""
    folders = [Path(f).resolve() for f in args.compare]
    figures: dict[Path, list[tuple[float, ...]]] = {f: [] for f in folders}
    n = args.events
    with scratch("board") as tmp, running(cityboard(tmp)) as server:
        gen = Events()
        for start in range(0, n, 1000):
            push(server.base, [gen.new(i) for i in range(start, min(n, start + 1000))])
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
            floors: list[float] = []
            for i in range(args.rounds):
                floors.append(floor_ms(browser, server.base, n))
                print(f"floor: the parts' first → last {floors[-1]:,.0f} ms", flush=True)
                for folder in folders if i % 2 == 0 else folders[::-1]:
                    errors: list[str] = []
                    page = open_page(browser, args, errors)
                    page.route("**/*", serve_from(folder))
                    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                    page.goto(server.base + "/")
                    page.wait_for_function(LOADED_JS % (n, n), polling="raf", timeout=120_000)
                    load = page.evaluate(LOAD_FIGURES_JS)
                    trace = json.loads(browser.stop_tracing())
                    events = trace["traceEvents"] if isinstance(trace, dict) else trace
                    cpu = load_cpu(events, main_thread(events)) or (0.0, 0.0, 0.0, 0.0)
                    time.sleep(SETTLE_SECONDS)
                    refit, nudge = page.evaluate(RESIZE_JS, args.resizes)
                    row = (load["rendered"] - load["arrived"], load["longestAfter"], *cpu[2:])
                    figures[folder].append((*row, refit, nudge))
                    print(
                        f"{folder}: arrival → rendered {row[0]:,.0f} ms, longest task {row[1]:.0f}"
                        f" ms; main thread CPU {row[2]:.0f} ms, longest task's CPU {row[3]:.0f}"
                        f" ms; map refit {refit:.1f} ms (a frame without it {nudge:.1f} ms)"
                        f"{'; page errors: ' + '; '.join(errors) if errors else ''}",
                        flush=True,
                    )
                    page.context.close()
            browser.close()
    floor = statistics.median(floors)
    print(f"median of {len(floors)}, floor (the parts alone, first → last): {floor:,.0f} ms")
    for folder, rows in figures.items():
        med = [statistics.median(r[k] for r in rows) for k in range(6)]
        print(
            f"median of {len(rows)}, {folder}: arrival → rendered {med[0]:,.0f} ms"
            f" ({med[0] / floor:.1f}x the floor), longest task {med[1]:.0f} ms;"
            f" main thread CPU {med[2]:.0f} ms, longest task's CPU {med[3]:.0f} ms;"
            f" map refit {med[4]:.1f} ms = {med[4] / med[5]:.1f}x a frame without it"
        )


def run(quick: bool) -> Result:
    args = options([])
    if quick:
        args.events, args.seconds = 1000, 3.0
    got = session(args)
    load, frames, lts = got["load"], got["burst"]["frames"], got["burst"]["long_tasks"]
    name = f"{args.events:,}-event snapshot"
    arrival_to_rendered = load["rendered"] - load["arrived"]
    return Result(
        [
            Figure(
                "board", f"{name} rendered (list + map), from navigation", load["rendered"], "ms"
            ),
            Figure(
                "board",
                f"{name} rendered, from its arrival on the socket",
                arrival_to_rendered,
                "ms",
                ("<=", SNAPSHOT_TARGET_MS),
                "the page's own start-up is not the snapshot's cost",
            ),
            Figure(
                "board",
                "floor: its parts alone, first → last (a page that only receives them)",
                got["floor"],
                "ms",
                note=f"rendered {arrival_to_rendered / max(got['floor'], 1.0):.1f}x this",
            ),
            Figure(
                "board",
                "longest task from the snapshot's arrival",
                load["longestAfter"],
                "ms",
                ("<=", LONG_TASK_TARGET_MS),
                f"{load['longTasksAfter']} over 50 ms;"
                f" longest from navigation {load['longest']:.0f} ms",
            ),
            Figure("board", f"frame interval p99, {args.rate}/s burst", pct(frames, 99), "ms"),
            Figure(
                "board",
                "longest task during the burst",
                max(lts, default=0.0),
                "ms",
                ("<=", LONG_TASK_TARGET_MS),
                f"{len(lts)} over 50 ms",
            ),
            Figure("board", "page errors", len(got["errors"])),
        ]
    )


def main() -> None:
    args = options()
    if args.compare:
        compare(args)
    else:
        session(args)


if __name__ == "__main__":
    main()

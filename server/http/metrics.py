"""`/metrics` in Prometheus text: the numbers an operator alerts on."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from aiohttp import web

from server.http.board import BOARD


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition: the numbers an operator alerts on."""
    board = request.app[BOARD]
    lines = [
        "# HELP cityboard_log_head_seq Last committed seq of the live stream.",
        "# TYPE cityboard_log_head_seq gauge",
        f"cityboard_log_head_seq {board.log.head}",
        "# HELP cityboard_log_first_seq Oldest seq still held (retention raises it).",
        "# TYPE cityboard_log_first_seq gauge",
        f"cityboard_log_first_seq {board.log.first_seq}",
        "# HELP cityboard_log_pruned_total Entries dropped by retention since start.",
        "# TYPE cityboard_log_pruned_total counter",
        f"cityboard_log_pruned_total {board.log.pruned}",
        "# HELP cityboard_log_commits_total Transactions committed (group commits).",
        "# TYPE cityboard_log_commits_total counter",
        f"cityboard_log_commits_total {board.log.commits}",
        "# HELP cityboard_boards Websocket connections open.",
        "# TYPE cityboard_boards gauge",
        f"cityboard_boards {len(board.connections)}",
        "# HELP cityboard_slow_boards_closed_total Boards closed with 4008 for falling behind.",
        "# TYPE cityboard_slow_boards_closed_total counter",
        f"cityboard_slow_boards_closed_total {board.hub.slow_closed}",
        "# HELP cityboard_replays Replays playing.",
        "# TYPE cityboard_replays gauge",
        f"cityboard_replays {len(board.replays.players)}",
    ]
    publisher = board.public.publisher if board.public is not None else None
    if board.public is not None:
        lines += [
            "# HELP cityboard_public_head_seq Last committed seq of the public stream.",
            "# TYPE cityboard_public_head_seq gauge",
            f"cityboard_public_head_seq {board.public.log.head}",
        ]
    if publisher is not None:  # nodes that run feeds derive the public stream
        lines += [
            "# HELP cityboard_public_cursor_seq Last live seq the publisher has read.",
            "# TYPE cityboard_public_cursor_seq gauge",
            f"cityboard_public_cursor_seq {publisher.cursor}",
            "# HELP cityboard_public_pending Redacted entries waiting for their delay.",
            "# TYPE cityboard_public_pending gauge",
            f"cityboard_public_pending {publisher.pending}",
            "# HELP cityboard_public_published_total Live entries published by this node.",
            "# TYPE cityboard_public_published_total counter",
            f"cityboard_public_published_total {publisher.published}",
            "# HELP cityboard_public_withheld_total Live entries never published (actions,"
            " hidden kinds, operator notices).",
            "# TYPE cityboard_public_withheld_total counter",
            f"cityboard_public_withheld_total {publisher.withheld}",
            "# HELP cityboard_public_unreadable_total Live bodies dropped as unreadable.",
            "# TYPE cityboard_public_unreadable_total counter",
            f"cityboard_public_unreadable_total {publisher.unreadable}",
        ]
    lines += [
        "# HELP cityboard_gc_collections_total Garbage collections by generation (the server's"
        " collector policy: server/memory.py).",
        "# TYPE cityboard_gc_collections_total counter",
        *(
            f'cityboard_gc_collections_total{{generation="{n}"}} {stats["collections"]}'
            for n, stats in enumerate(gc.get_stats())
        ),
        "# HELP cityboard_gc_frozen_objects Objects start-up built, kept out of collections.",
        "# TYPE cityboard_gc_frozen_objects gauge",
        f"cityboard_gc_frozen_objects {gc.get_freeze_count()}",
    ]
    per_feed: tuple[tuple[str, str, str, Callable[[dict[str, Any]], float]], ...] = (
        ("feed_up", "gauge", "1 when the feed's last poll succeeded", lambda h: h["state"] == "ok"),
        ("feed_stale", "gauge", "1 when the feed is older than its SLA", lambda h: h["stale"]),
        (
            "feed_age_seconds",
            "gauge",
            "Seconds since the feed's last success",
            lambda h: h["age_seconds"] if h["age_seconds"] is not None else float("nan"),
        ),
        ("feed_events_total", "counter", "Events the feed added", lambda h: h["events_emitted"]),
        (
            "feed_rejected_documents_total",
            "counter",
            "Documents the feed rejected",
            lambda h: h["documents_rejected"],
        ),
        (
            "feed_consecutive_failures",
            "gauge",
            "Failures since the last success",
            lambda h: h["consecutive_failures"],
        ),
    )
    health = board.feed_health()
    for name, kind, text, value in per_feed:
        lines += [f"# HELP cityboard_{name} {text}.", f"# TYPE cityboard_{name} {kind}"]
        lines += [f'cityboard_{name}{{feed="{h["name"]}"}} {float(value(h)):g}' for h in health]
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )

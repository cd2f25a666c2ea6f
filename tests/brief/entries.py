"""Log entries written by hand, with known times, for the briefing's pure tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.brief.build import BriefBuilder
from server.brief.model import Briefing
from server.brief.period import Period
from server.stream.events import iso_utc

T0 = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
CITY_HALL = [126.9779, 37.5663]  # Jung-gu (11140)
HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)> | **bold** [a](javascript:x)'


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


class Log:
    """A log under construction: entries get gap-free seqs and the commit times given."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, at: datetime, type_: str, body: dict[str, Any]) -> None:
        self.entries.append(
            {"seq": len(self.entries) + 1, "at": iso_utc(at), "type": type_, "body": body}
        )

    def event(self, at: datetime, n: int | str, **fields: Any) -> str:
        event_id = f"test:e{n}"
        body = {
            "event_id": event_id,
            "version": 1,
            "source": "test",
            "kind": "disaster",
            "category": "disaster.flood",
            "severity": "moderate",
            "status": "active",
            "title": f"event {n}",
            "sent_at": iso_utc(at),
            "updated_at": iso_utc(at),
            "received_at": iso_utc(at),
            "point": CITY_HALL,
            "district": "11140",
            **fields,
        }
        self.add(at, "event", body)
        return event_id

    def action(self, at: datetime, name: str, event_id: str, **data: Any) -> None:
        body = {
            "action": name,
            "event_id": event_id,
            "actor": "op",
            "at": iso_utc(at),
            "data": data,
        }
        self.add(at, "action", body)

    def notice(self, at: datetime, code: str, source: str, message: str = "boom") -> None:
        body = {
            "level": "warning",
            "code": code,
            "message": message,
            "at": iso_utc(at),
            "source": source,
        }
        self.add(at, "notice", body)

    def brief(self, start: datetime, end: datetime, **kw: Any) -> Briefing:
        builder = BriefBuilder(Period(start, end), "Seoul", "Asia/Seoul", "log", **kw)
        for entry in self.entries:
            builder.add(entry)
        return builder.briefing()

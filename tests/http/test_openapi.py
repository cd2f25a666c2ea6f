"""server/http/openapi.yaml describes exactly the HTTP routes the app serves."""

from __future__ import annotations

import re
from pathlib import Path

from server.http.app import create_app
from server.settings import Settings

SPEC = Path(__file__).resolve().parents[2] / "server" / "http" / "openapi.yaml"


def test_every_route_is_documented_and_nothing_else(tmp_path: Path) -> None:
    documented = set(re.findall(r"^  (/[^:\s]*):$", SPEC.read_text(), re.M))
    app = create_app(Settings(db_path=tmp_path / "x.db", demo=False))
    served = {
        r.resource.canonical
        for r in app.router.routes()
        if r.method in {"GET", "POST"}
        and r.resource is not None
        and r.resource.canonical.startswith(
            ("/api", "/ws", "/healthz", "/readyz", "/metrics", "/brief")
        )
    }
    assert served == documented

"""Every built-in polling adapter refuses hostile or broken documents with FeedRejected.

Truncated, empty, wrongly encoded, an HTML error page, billion laughs, external entities and deep
nesting: each must become a clear FeedRejected (which the runner counts and skips), never another
exception, a file read or a hang.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds import registry
from feeds.kit.base import PollingFeed
from server.errors import ConfigError, FeedRejected
from tests.feeds.conftest import RECEIVED_AT, adapter

SECRET = "cityboard-xxe-canary-7d1f"


def polling_adapters() -> list[str]:
    names = []
    for name in sorted(registry.installed()):
        try:
            cls = registry.load(name)
        except ConfigError:
            continue  # a missing built-in fails test_every_registered_adapter_loads instead
        if issubclass(cls, PollingFeed):
            names.append(name)
    return names


def hostile_documents(canary: Path) -> dict[str, bytes]:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b"]><alert>&lol9;</alert>"
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file://'
        + str(canary).encode()
        + b'">]><alert><identifier>&x;</identifier></alert>'
    )
    return {
        "empty": b"",
        "whitespace": b"   \n\t ",
        "html error page": b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1></body></html>",
        "truncated xml": b'<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:nam',
        "truncated json": b'{"type": "FeatureCollection", "features": [{"type": "Feat',
        "wrong encoding": "<?xml version='1.0' encoding='UTF-8'?><a>\u00e9</a>".encode("utf-16"),
        "binary noise": bytes(range(256)) * 4,
        "json scalar": b'"just a string"',
        "billion laughs": laughs,
        "external entity": xxe,
        "deep nesting xml": b"<a>" * 100_000 + b"</a>" * 100_000,
        "deep nesting json": b"[" * 100_000 + b"]" * 100_000,
    }


def test_every_registered_adapter_loads() -> None:
    for name in registry.installed():
        assert registry.load(name).manifest.name == name


@pytest.mark.parametrize("name", polling_adapters())
def test_hostile_documents_are_rejected_cleanly(name: str, tmp_path: Path) -> None:
    canary = tmp_path / "secret.txt"
    canary.write_text(SECRET)
    feed = adapter(name)
    assert isinstance(feed, PollingFeed)
    for label, payload in hostile_documents(canary).items():
        try:
            parsed = feed.parse(payload, received_at=RECEIVED_AT)
        except FeedRejected as exc:
            assert exc.message, f"{name}/{label}: a rejection says why"
            assert SECRET not in exc.message, f"{name}/{label}: an entity read a local file"
            continue
        except Exception as exc:
            pytest.fail(f"{name}/{label}: raised {type(exc).__name__}: {exc}")
        pytest.fail(f"{name}/{label}: accepted garbage ({len(parsed.events)} events)")


def test_an_unknown_declared_encoding_is_a_rejection() -> None:
    from feeds.kit.xml import parse_xml

    with pytest.raises(FeedRejected, match="unreadable XML"):
        parse_xml(b'<?xml version="1.0" encoding="aTF-8"?><a/>')

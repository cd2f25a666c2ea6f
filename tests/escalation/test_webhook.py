"""The webhook notifier against a real local HTTP receiver: what is retried, what is not, and
what never leaves (too large), all with a clear one-line reason."""

from __future__ import annotations

import pytest

from server.errors import ConfigError, NotifierError
from server.escalation.notifiers import Notification
from server.escalation.webhook import WebhookNotifier
from tests.escalation.conftest import Receiver
from tests.process import free_port


def note(title: str = "flood in Jongno-gu") -> Notification:
    return Notification(
        id="kma:1",
        policy="extreme",
        step=1,
        of=2,
        to="notifier:bot",
        at="2026-03-02T01:33:00Z",
        title=title,
        severity="extreme",
        kind="disaster",
        category="disaster.flood",
        district="11110",
    )


def webhook(url: str, **options: object) -> WebhookNotifier:
    return WebhookNotifier({"url": url, "retries": 2, "retry_delay_seconds": 0, **options})


async def test_a_refusal_is_not_retried_and_its_reason_is_kept(receiver: Receiver) -> None:
    receiver.status = 400
    notifier = webhook(receiver.url)
    with pytest.raises(NotifierError) as caught:
        await notifier.notify(note())
    await notifier.close()
    assert receiver.attempts == 1, "a 4xx refusal is final"
    assert "HTTP 400" in caught.value.message and "1 attempt)" in caught.value.message


async def test_an_unreachable_receiver_is_retried_a_bounded_number_of_times() -> None:
    notifier = webhook(f"http://127.0.0.1:{free_port()}/hook")
    with pytest.raises(NotifierError) as caught:
        await notifier.notify(note())
    await notifier.close()
    assert "3 attempts" in caught.value.message and "\n" not in caught.value.message


async def test_a_notification_over_the_cap_is_never_sent(receiver: Receiver) -> None:
    notifier = webhook(receiver.url, max_body_bytes=1024)
    with pytest.raises(NotifierError) as caught:
        await notifier.notify(note("x" * 2000))
    await notifier.close()
    assert receiver.attempts == 0 and "max_body_bytes is 1024" in caught.value.message


def test_a_missing_secret_or_a_bad_option_stops_at_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CITYBOARD_NO_SUCH_SECRET", raising=False)
    with pytest.raises(ConfigError, match="CITYBOARD_NO_SUCH_SECRET is not set"):
        webhook("https://bot.example.org/hook", secret_env="CITYBOARD_NO_SUCH_SECRET")
    with pytest.raises(ConfigError, match="url"):
        webhook("ftp://bot.example.org/hook")
    with pytest.raises(ConfigError, match="retries"):
        webhook("https://bot.example.org/hook", retries=50)

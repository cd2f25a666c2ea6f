"""The built-in `webhook` notifier: an escalation step as a JSON POST (a messenger bot, a pager
gateway), with a timeout, a cap on what is sent and read, a bounded number of retries, and a
shared secret in a header read from the environment (never from the config file)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Annotated, Any

import aiohttp
import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from server.errors import ConfigError, NotifierError
from server.escalation.notifiers import Notification, Notifier

RESPONSE_PEEK_BYTES = 512  # of a refusal's body, for the record; the rest is never read
MAX_RETRIES = 5
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"


class WebhookOptions(BaseModel):
    """`[escalation.notifiers.<name>.options]` of a webhook."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2048)]
    secret_env: Annotated[str, StringConstraints(pattern=ENV_NAME)] | None = None
    secret_header: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")] = (
        "X-Cityboard-Secret"
    )
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    retries: int = Field(default=2, ge=0, le=MAX_RETRIES)
    retry_delay_seconds: float = Field(default=1.0, ge=0, le=60)
    max_body_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)


class WebhookNotifier(Notifier):
    """POSTs `Notification.as_json()`; a 2xx answer is delivered, anything else is retried
    (server errors, timeouts, refused connections) or refused at once (other 4xx)."""

    name = "webhook"

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        try:
            self.config = WebhookOptions.model_validate(dict(options))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise ConfigError(f"webhook notifier options: {problems}") from None
        self.headers = {"Content-Type": "application/json"}
        if self.config.secret_env is not None:
            secret = os.environ.get(self.config.secret_env)
            if not secret:
                raise ConfigError(
                    f"webhook notifier: environment variable {self.config.secret_env} is not set"
                )
            self.headers[self.config.secret_header] = secret
        self._session: aiohttp.ClientSession | None = None

    async def notify(self, notification: Notification) -> str:
        body = orjson.dumps(notification.as_json())
        if len(body) > self.config.max_body_bytes:
            raise NotifierError(
                f"the notification is {len(body)} bytes; max_body_bytes is"
                f" {self.config.max_body_bytes}"
            )
        if self._session is None:
            self._session = aiohttp.ClientSession()
        problem = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                await asyncio.sleep(self.config.retry_delay_seconds)
            try:
                status, peek = await self._post(self._session, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if 200 <= status < 300:
                return f"HTTP {status}" + (f" after {attempt + 1} attempts" if attempt else "")
            problem = f"HTTP {status}" + (f": {peek}" if peek else "")
            if 400 <= status < 500 and status not in (408, 429):
                break  # the receiver refuses this request: sending it again changes nothing
        tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
        raise NotifierError(f"webhook {self.config.url} failed ({tries}): {problem}")

    async def _post(self, session: aiohttp.ClientSession, body: bytes) -> tuple[int, str]:
        """One POST: the status, and the start of the answer's text."""
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_seconds)
        async with session.post(
            self.config.url, data=body, headers=self.headers, timeout=timeout
        ) as r:
            peek = await r.content.read(RESPONSE_PEEK_BYTES)
            return r.status, " ".join(peek.decode(errors="replace").split())[:200]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

"""Push sources as feeds, so the board can tell when a city system that POSTs events goes quiet.

A configured push source gets its own token and health; what it POSTs arrives through the
runner's `ingest`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from pydantic import Field, SecretStr

from feeds.kit import (
    Action,
    ConfigError,
    Event,
    FeedAdapter,
    FeedContext,
    FeedOptions,
)


class PushOptions(FeedOptions):
    """`token_env`: the environment variable that holds this source's bearer token."""

    token_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")


class PushFeed(FeedAdapter):
    """Receives through `POST /api/push/{name}`; the runner commits what arrives."""

    Options = PushOptions
    options: PushOptions

    def __init__(self, context: FeedContext) -> None:
        super().__init__(context)
        token = os.environ.get(self.options.token_env, "")
        if not token:
            raise ConfigError(
                f"push feed {self.source!r}: environment variable {self.options.token_env} is unset"
            )
        self.token = SecretStr(token)

    async def events(self) -> AsyncIterator[Event | Action]:
        """Nothing to pull: pushed events arrive through the runner's `ingest`."""
        await asyncio.Event().wait()
        return
        yield  # unreachable; makes this an async generator that never yields

"""The runner's HTTP client for adapters, so no adapter has to get fetching right on its own.

Timeouts, a body cap that also holds after gzip, and conditional GET (ETag/Last-Modified).
"""

from __future__ import annotations

import aiohttp

from feeds.kit.recent import Recent
from server.errors import FeedRejected, FeedUnavailable

READ_CHUNK_BYTES = 64 * 1024
REMEMBER_VALIDATORS = 2_000  # URLs whose ETag/Last-Modified a feed keeps (index + linked alerts)
USER_AGENT = "cityboard (+https://github.com/cityboard/cityboard)"


class SharedSession:
    """One aiohttp client session for every feed, opened on first use inside the event loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        """The open session, opened (again) if there is none."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(auto_decompress=True)
        return self._session

    async def close(self) -> None:
        """Close the session at shutdown."""
        if self._session is not None:
            await self._session.close()


class Fetcher:
    """GETs documents for one feed; remembers ETag/Last-Modified per URL for conditional GET."""

    def __init__(
        self,
        session: SharedSession,
        *,
        timeout_seconds: float,
        max_body_bytes: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.max_body_bytes = max_body_bytes
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._validators: Recent[str, dict[str, str]] = Recent(REMEMBER_VALIDATORS)

    async def get(self, url: str, *, conditional: bool = True) -> bytes | None:
        """The body at `url`, decompressed and capped; None on 304 Not Modified."""
        headers = dict(self.headers)
        if conditional:
            headers.update(self._validators.get(url, {}))
        try:
            async with self.session.get().get(
                url, headers=headers, timeout=self.timeout
            ) as response:
                if response.status == 304:
                    return None
                if response.status >= 400:
                    raise FeedUnavailable(f"{url} answered HTTP {response.status}")
                body = await self._read_capped(response, url)
                if conditional:
                    self._remember(url, response)
                return body
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise FeedUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None

    async def _read_capped(self, response: aiohttp.ClientResponse, url: str) -> bytes:
        declared = response.content_length
        if (
            declared is not None
            and declared > self.max_body_bytes
            and not response.headers.get("Content-Encoding")
        ):
            raise FeedRejected(
                f"{url}: body of {declared} bytes is over the {self.max_body_bytes}-byte limit"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
            size += len(chunk)  # counted after decompression: a gzip bomb stops here
            if size > self.max_body_bytes:
                raise FeedRejected(f"{url}: body is over the {self.max_body_bytes}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def _remember(self, url: str, response: aiohttp.ClientResponse) -> None:
        validators = {}
        if etag := response.headers.get("ETag"):
            validators["If-None-Match"] = etag
        if modified := response.headers.get("Last-Modified"):
            validators["If-Modified-Since"] = modified
        self._validators.remember(url, validators)

"""The public stream of one server: its log, its hub, its publisher and its socket's limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.public.publisher import Publisher
from server.public.settings import PublicSettings
from server.stream.hub import Hub
from server.stream.log import LogStore
from server.stream.protocol import TokenBucket


@dataclass
class PublicStream:
    """What serves `public`: on nodes that run feeds the publisher fills `log`; every node
    serves it (the hub fans out what `log` commits) and counts its public sockets."""

    rules: PublicSettings
    log: LogStore
    hub: Hub
    publisher: Publisher | None = None
    sockets: int = 0  # public-port websockets open now, against rules.ws_max_connections
    # one rate limit per address, shared by its sockets: more tabs buy no more messages
    _buckets: dict[str, tuple[TokenBucket, int]] = field(default_factory=dict)

    def bucket_for(self, address: str) -> TokenBucket:
        """The inbound rate limit of `address` (kept while one of its sockets is open)."""
        bucket, users = self._buckets.get(address) or (
            TokenBucket(rate=self.rules.ws_messages_per_second, burst=self.rules.ws_message_burst),
            0,
        )
        self._buckets[address] = (bucket, users + 1)
        return bucket

    def release(self, address: str) -> None:
        """A socket of `address` closed; its bucket goes with the last one."""
        bucket, users = self._buckets[address]
        if users <= 1:
            del self._buckets[address]
        else:
            self._buckets[address] = (bucket, users - 1)

"""The log on Redis Streams, for several nodes serving one city (docs/scale-out.md).

Every node appends to one Redis stream and tails it; a board connected to any node sees the same
seqs. An append is optimistic and takes two round trips: one script reads, atomically, the epoch,
the head and, for every event the batch names, its stored version, workflow and last seq; the
node decides each body with the same `place` as the SQLite log; a second script checks that none
of those events changed meanwhile (their last seqs are the same) and writes the batch: the
entries (ids `<seq>-0`), the `current` and `workflow` projections, each event's history index and
the new head. Seqs are taken where the head is when the write runs: if another node committed
other events in between, the script moves the batch's seqs past them instead of refusing it, so
nodes appending different events never decide twice; if an event the batch decided about
changed, the write is refused and the batch is decided again. Seqs stay gap-free and unique
across nodes, and an older version never overwrites a newer one. Nothing is published from
the append: every node, the writer included, publishes what its tail reads (XREAD), so an entry
reaches boards only once Redis has it. Durability is Redis's: run it with `appendonly yes` and
`appendfsync always` (what the tests do) for the guarantee the SQLite log gives.

Keys, under `<prefix>:<stream>:`: `epoch` (string; a new one means a new history), `head`
(counter), `log` (the stream: fields `raw`, `type`, `event_id`, `kind`, `severity`, `district`),
`meta` and `body` (hashes by event id: the current version's filter keys, and its JSON),
`workflow` (hash by event id), `ev:<event id>` (list of the seqs about one event), `claim:<key>`
(strings: keys `append_once` took, e.g. an escalation step's).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.connection import HiredisRespSerializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError

from server.errors import LogClosed, LogError
from server.stream.events import Action, Body, Event, iso_utc, utcnow
from server.stream.log import (
    AppendResult,
    Committed,
    Current,
    EventFilter,
    GroupCommit,
    Placement,
    Snapshot,
    append_claimed,
    place_batches,
)

log = logging.getLogger(__name__)

MAX_TRANSACTION_RETRIES = 50  # appends decided again after another node's commit, before failing
MAX_RECONNECTS = 3  # stale pooled connections an append's read gets past, before failing
TAIL_BLOCK_MS = 200  # how long one XREAD waits for new entries (and how long close() may wait)
TAIL_BATCH = 500  # entries one XREAD returns at most
TAIL_RETRY_SECONDS = 1.0  # pause after the tail lost Redis, before reading again
# bodies one write script takes at most (more appends wait for the next): Redis runs a script
# alone, so a 10,000-entry one stalls every other client for most of a second, and its sender
# for longer than redis-py's 5 s socket timeout when the machine is busy
MAX_WRITE_BODIES = 1000
PRUNE_PAGE = 1000  # entries examined per step when retention looks for the time cutoff

# What deciding a batch needs, read at one instant: the epoch, the head, then for each event id
# its current version's filter keys, its JSON, its workflow and the last seq about it. The JSON
# only where the stored version is one the batch brings for that event (`,v1,v2,`; `,,` for an
# event only acted on), the one case `place` reads it (a duplicate or a conflict), '' elsewhere:
# an update sent its event's whole JSON back for nothing. A meta begins `{"seq":N,"version":V`.
READ_KEYS = ("epoch", "head", "meta", "body", "workflow")
READ_SCRIPT = """
local found = {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}
for i = 2, #ARGV, 2 do
  local id, body = ARGV[i], ''
  local meta = redis.call('HGET', KEYS[3], id)
  if meta then
    local version = string.match(meta, '^{"seq":%d+,"version":(%d+)')
    if string.find(ARGV[i + 1], ',' .. version .. ',', 1, true) then
      body = redis.call('HGET', KEYS[4], id)
    end
  end
  found[#found + 1] = meta
  found[#found + 1] = body
  found[#found + 1] = redis.call('HGET', KEYS[5], id)
  found[#found + 1] = redis.call('LINDEX', ARGV[1] .. id, -1)
end
return found
"""

# One batch's writes in one command (packing thousands of XADDs client-side costs far more),
# refused (-1) if the stream was recreated and (-2) if an event the batch was decided on has a
# new last seq. The batch was placed after `base`; its seqs move to follow the head as it is now
# (an entry's JSON and its event's meta arrive without their leading `{"seq":N`), and the shift
# is returned. An entry that is its event's current version carries its meta and the length of
# its body, which ends its JSON: the body is stored once more from there, not sent twice. With
# claim keys (KEYS[7] on, `append_claimed`) the batch is written only if none is held yet, and
# takes them all atomically with the entries; else the numbers (1 = KEYS[7]) of those another
# node or an earlier run holds are returned, and nothing is written.
# A seq stays the string it came as unless it moves (Lua formats a number with sprintf, each
# time it is used as a string).
WRITE_KEYS = ("epoch", "head", "log", "meta", "body", "workflow")
WRITE_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local g, n, f, evp = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local i = 7
for _ = 1, g do
  if (redis.call('LINDEX', evp .. ARGV[i], -1) or '') ~= ARGV[i + 1] then return -2 end
  i = i + 2
end
local taken = {}
for k = 7, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 1 then taken[#taken + 1] = k - 6 end
end
if #taken > 0 then return taken end
for k = 7, #KEYS do redis.call('SET', KEYS[k], ARGV[1]) end
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
local shift = head - tonumber(ARGV[2])
for _ = 1, n do
  local seq, rest, event_id = ARGV[i], ARGV[i + 1], ARGV[i + 3]
  if shift ~= 0 then seq = tostring(tonumber(seq) + shift) end
  redis.call('XADD', KEYS[3], seq .. '-0', 'raw', '{"seq":' .. seq .. rest, 'type', ARGV[i + 2],
    'event_id', event_id, 'kind', ARGV[i + 4], 'severity', ARGV[i + 5], 'district', ARGV[i + 6])
  if event_id ~= '' then redis.call('RPUSH', evp .. event_id, seq) end
  if ARGV[i + 7] ~= '' then
    redis.call('HSET', KEYS[4], event_id, '{"seq":' .. seq .. ARGV[i + 7])
    redis.call('HSET', KEYS[5], event_id, string.sub(rest, -1 - tonumber(ARGV[i + 8]), -2))
  end
  i = i + 9
end
for _ = 1, f do
  redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('SET', KEYS[2], head + n)
return shift
"""
STREAM_RECREATED, DECIDED_ON_CHANGED = -1, -2  # the write script's refusals (and a claims list)


class _HiredisPacked(aioredis.Connection):
    """The appends' connection: redis-py's asyncio client packs commands in Python, which cost
    ~4x what hiredis takes for the ten thousand arguments of a full write script."""

    _packer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        packed: list[bytes] = self._packer.pack(*args)
        return packed


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisLog:
    """The shared log of one city stream on Redis; the same API as server.stream.log.EventLog."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cityboard:live",
        on_commit: Callable[[list[Committed]], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.on_commit = on_commit
        # the stream was recreated (Redis lost or flushed its data): boards must start over
        self.on_reset: Callable[[], None] = lambda: None
        self._clock = clock
        # redis-py's return types are unions of bytes/str/None per option: typed loosely here
        self._redis: Any = None
        self._writer: Any = None  # the appends' own client, which never resends a command
        self._read_script: Any = None
        self._write_script: Any = None
        self._tail_task: asyncio.Task[None] | None = None
        self._writes = GroupCommit(
            self._commit_grouped, "redis-log-writer", max_bodies=MAX_WRITE_BODIES
        )
        self._closed = False
        self.epoch = ""
        self.head = 0  # the last seq this node has read from the stream and published
        self.first_seq = 1
        self.pruned = 0
        self.retries = 0  # transactions decided again: another node changed the same events
        self.raced = 0  # transactions whose seqs moved past entries another node committed first
        self._tail_problem: str | None = None  # why the tail cannot read Redis, while it cannot

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    @property
    def location(self) -> str:
        """Where the log lives, for log lines (the URL without credentials)."""
        tail = self.url.rsplit("@", 1)[-1].removeprefix("redis://").removeprefix("rediss://")
        return f"redis://{tail} {self.prefix}"

    @property
    def problem(self) -> str | None:
        """Why the log cannot take or show entries now, for the boards; None when it can."""
        if not self.writing:
            return "the log is not running"
        return self._tail_problem

    @property
    def commits(self) -> int:
        """Transactions committed (metrics)."""
        return self._writes.commits

    @property
    def writing(self) -> bool:
        """True while appends can be committed and the tail publishes them."""
        return self._writes.running and self._tail_task is not None and not self._tail_task.done()

    # ---------------------------------------------------------------------- lifecycle

    async def open(self) -> None:
        """Connect, adopt (or start) the stream's epoch, and start the writer and the tail."""
        self._redis = aioredis.Redis.from_url(self.url)
        # the stream's entries come back as Committed, straight from hiredis's reply: redis-py's
        # own parsing (a dict per entry) cost the tail more than the rest of its work
        self._redis.set_response_callback("XRANGE", _entries)
        self._redis.set_response_callback("XREAD", _read_entries)
        self._writer = aioredis.Redis.from_url(
            self.url, retry=Retry(NoBackoff(), 0), connection_class=_HiredisPacked
        )
        self._read_script = self._writer.register_script(READ_SCRIPT)
        self._write_script = self._writer.register_script(WRITE_SCRIPT)
        r = self._redis
        try:
            self.epoch = await self._stored_epoch()
            self.head = int(await r.get(self._key("head")) or 0)
            first = await r.xrange(self._key("log"), count=1)
            self.first_seq = first[0].seq if first else self.head + 1
        except RedisError as exc:
            await self.close()
            raise LogError(f"cannot open the log at {self.location}: {exc}") from exc
        self._writes.start()
        self._tail_task = asyncio.create_task(self._tail(), name="redis-log-tail")

    async def close(self) -> None:
        """Finish queued appends, stop the tail and disconnect."""
        self._closed = True
        await self._writes.stop()
        if self._tail_task is not None:
            # not cancelled: redis-py can hang cancelling a blocked XREAD; the tail sees _closed
            await self._tail_task
            self._tail_task = None
        if self._redis is not None:
            await self._redis.aclose()
            await self._writer.aclose()
            self._redis = self._writer = None

    def _r(self) -> Any:
        if self._redis is None:
            raise LogClosed("the log is closed")
        return self._redis

    # ------------------------------------------------------------------------- writes

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]:
        """Durably append bodies (group commit, as the SQLite log); one result per body."""
        return await self._writes.submit(bodies)

    async def append_once(self, key: str, bodies: Sequence[Body]) -> list[AppendResult] | None:
        """Append bodies only if no node has claimed `key` before, claiming it in the same
        script; None when it was claimed (the escalation's steps, on every node)."""
        return (await self.append_claimed([(key, bodies)]))[0]

    async def append_claimed(
        self, claims: Sequence[tuple[str, Sequence[Body]]]
    ) -> list[list[AppendResult] | None]:
        """`append_once` for several keys in one script (the public publisher's due entries):
        None in the place of a key another node, an earlier run or an earlier item took."""
        return await append_claimed(claims, self._commit)

    async def _commit_grouped(self, batches: list[list[Body]]) -> list[list[AppendResult]]:
        results, _ = await self._commit(batches)
        return results

    async def _commit(
        self, batches: list[list[Body]], claims: Sequence[str] = ()
    ) -> tuple[list[list[AppendResult]], list[int]]:
        """Decide every queued batch on what Redis holds and write them in one script; decided
        again only if another node changed one of the same events in between. With `claims`
        (one key per batch) a batch whose key another node holds is left out: the results of
        the batches written and their indexes in `batches`."""
        kept = list(range(len(batches)))
        reconnects = 0
        for _ in range(MAX_TRANSACTION_RETRIES):
            live = [batches[i] for i in kept]
            try:
                head, known, flows, lasts = await self._read(_wanted(live))
            except RedisConnectionError as exc:
                if reconnects >= MAX_RECONNECTS:
                    raise LogError(f"append failed: {exc}") from exc
                reconnects += 1  # pooled connections Redis closed (it restarted): try again
                continue
            except RedisError as exc:
                raise LogError(f"append failed: {exc}") from exc
            placed = place_batches(
                live, known, flows, head=head, epoch=self.epoch, at_iso=iso_utc(self._clock())
            )
            if not placed.entries and not claims:  # only duplicates: nothing to write
                return placed.results, kept
            claim_keys = [self._key(f"claim:{claims[i]}") for i in kept] if claims else []
            try:  # the writer never resends by itself: a lost reply may hide a commit
                shift = await self._write_script(
                    keys=[*(self._key(k) for k in WRITE_KEYS), *claim_keys],
                    args=_write_args(self.epoch, head, self._key("ev:"), lasts, placed),
                    client=self._writer,
                )
            except RedisError as exc:
                raise LogError(f"append failed: {exc}") from exc
            if isinstance(shift, list):  # claims held elsewhere: decide the others again
                taken = {kept[n - 1] for n in shift}
                kept = [i for i in kept if i not in taken]
                if not kept:
                    return [], []
                continue
            if shift == STREAM_RECREATED:
                raise _recreated()
            if shift == DECIDED_ON_CHANGED:
                self.retries += 1
                continue
            if shift == 0:
                return placed.results, kept
            self.raced += 1
            return [
                [AppendResult(r.seq + shift if r.seq > head else r.seq, r.outcome) for r in rs]
                for rs in placed.results
            ], kept
        raise LogError(
            f"append gave up after {MAX_TRANSACTION_RETRIES} conflicting commits from other nodes"
        )

    async def _read(
        self, wanted: dict[str, set[int]]
    ) -> tuple[int, dict[str, Current], dict[str, Any], dict[str, bytes]]:
        """The head, and for each event its stored version (with its JSON only where one of the
        versions wanted ties it; b"" elsewhere), its workflow and its last seq."""
        args = [self._key("ev:")]
        for event_id, versions in wanted.items():
            args += [event_id, f",{','.join(map(str, versions))},"]
        found = await self._read_script(
            keys=[self._key(k) for k in READ_KEYS], args=args, client=self._writer
        )
        if _text(found[0]) != self.epoch:
            raise _recreated()
        known, flows, lasts = {}, {}, {}
        for n, event_id in enumerate(wanted):
            meta, body, flow, last = found[2 + 4 * n : 6 + 4 * n]
            if meta is not None and body is not None:
                m = orjson.loads(meta)
                known[event_id] = Current(m["seq"], m["version"], body)
            if flow is not None:
                flows[event_id] = orjson.loads(flow)
            lasts[event_id] = last or b""
        return int(found[1] or 0), known, flows, lasts

    # -------------------------------------------------------------------------- tail

    async def _tail(self) -> None:
        """Read what any node committed, in order, and publish it here: one round trip for the
        entries and the epoch, read after them (if it changed, they may be another history's)."""
        r = self._r()
        while not self._closed:
            made = secrets.token_hex(8)
            try:
                async with r.pipeline(transaction=False) as pipe:
                    pipe.xread(
                        {self._key("log"): f"{self.head}-0"}, block=TAIL_BLOCK_MS, count=TAIL_BATCH
                    )
                    pipe.set(self._key("epoch"), made, nx=True, get=True)
                    entries, stored = await pipe.execute()
            except RedisError as exc:
                if self._tail_problem is None:
                    log.warning("the log's tail lost Redis (%s); retrying", exc)
                self._tail_problem = f"Redis at {self.location} is unreachable: {exc}"
                await asyncio.sleep(TAIL_RETRY_SECONDS)
                continue
            if self._tail_problem is not None:
                log.info("the log's tail reads Redis again")
                self._tail_problem = None
            epoch = _text(stored) or made
            if epoch != self.epoch:
                self._start_over(epoch)
                continue
            if entries:
                self.head = entries[-1].seq
                if self.on_commit is not None:
                    self.on_commit(entries)

    async def _stored_epoch(self) -> str:
        """The stream's epoch; a new one is made if Redis has none (a new or wiped stream)."""
        made = secrets.token_hex(8)
        return _text(await self._r().set(self._key("epoch"), made, nx=True, get=True)) or made

    def _start_over(self, epoch: str) -> None:
        """Follow a recreated stream from its start, and have this node's boards start over."""
        log.warning(
            "the log at %s was recreated (epoch %s → %s): boards start over",
            self.location,
            self.epoch,
            epoch,
        )
        self.epoch, self.head, self.first_seq = epoch, 0, 1
        self.on_reset()

    # ------------------------------------------------------------------------- reads

    async def entries_after(self, after_seq: int, limit: int) -> list[Committed]:
        """Committed entries with seq > after_seq, in order, at most `limit` of them."""
        entries: list[Committed] = await self._r().xrange(
            self._key("log"), min=f"({after_seq}-0", count=limit
        )
        return entries

    async def snapshot(self, flt: EventFilter, limit: int) -> Snapshot:
        """Active events matching `flt`, newest change first, with their workflows, read
        consistently with the head (read again if a commit lands meanwhile)."""
        r = self._r()
        for _ in range(MAX_TRANSACTION_RETRIES):
            async with r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self._key("head"))
                    head = int(await pipe.get(self._key("head")) or 0)
                    metas = await pipe.hgetall(self._key("meta"))
                    chosen = sorted(
                        (
                            (m["updated_at"], m["seq"], _text(i) or "")
                            for i, m in ((i, orjson.loads(v)) for i, v in metas.items())
                            if m["status"] == "active"
                            and flt.matches(m["kind"], m["severity"], m["district"])
                        ),
                        reverse=True,
                    )
                    ids = [i for _, _, i in chosen[:limit]]
                    bodies = await pipe.hmget(self._key("body"), ids) if ids else []
                    flows = await pipe.hmget(self._key("workflow"), ids) if ids else []
                    pipe.multi()
                    pipe.get(self._key("head"))  # EXEC is refused if a commit landed meanwhile
                    await pipe.execute()
                except WatchError:
                    continue
            workflows = {i: orjson.loads(f) for i, f in zip(ids, flows, strict=True) if f}
            return Snapshot(head, [b for b in bodies if b], len(chosen) > limit, workflows)
        raise LogError("no consistent snapshot: the log kept changing")

    async def history(self, event_id: str, limit: int) -> list[Committed]:
        """Every entry about one event still held, oldest first."""
        r = self._r()
        seqs = await r.lrange(self._key(f"ev:{event_id}"), 0, limit - 1)
        async with r.pipeline(transaction=False) as pipe:
            for seq in seqs:
                pipe.xrange(self._key("log"), min=f"{int(seq)}-0", max=f"{int(seq)}-0")
            found = await pipe.execute()
        return [entries[0] for entries in found if entries]

    async def events(
        self, flt: EventFilter, *, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """Latest versions of events changed after `after_seq`, in seq order, for paging the API."""
        r = self._r()
        metas = await r.hgetall(self._key("meta"))
        chosen = sorted(
            (m["seq"], _text(i) or "")
            for i, m in ((i, orjson.loads(v)) for i, v in metas.items())
            if m["seq"] > after_seq and flt.admits(m)
        )[:limit]
        bodies = await r.hmget(self._key("body"), [i for _, i in chosen]) if chosen else []
        return [(seq, body) for (seq, _), body in zip(chosen, bodies, strict=True) if body]

    async def workflows_of(self, event_ids: Sequence[str]) -> dict[str, Any]:
        """The handling state of those of these events someone has acted on."""
        if not event_ids:
            return {}
        stored = await self._r().hmget(self._key("workflow"), list(event_ids))
        return {i: orjson.loads(f) for i, f in zip(event_ids, stored, strict=True) if f}

    async def current_event(self, event_id: str) -> bytes | None:
        """The latest version of one event, or None if the log has never seen it."""
        body = await self._r().hget(self._key("body"), event_id)
        return bytes(body) if body is not None else None

    # --------------------------------------------------------------------- retention

    async def prune(self, *, older_than: datetime | None, keep_entries: int | None) -> int:
        """Retention, as the SQLite log does it: drop old entries (never the newest) and forget
        ended events last changed in what was dropped."""
        r = self._r()
        head = int(await r.get(self._key("head")) or 0)
        cutoff = head - 1
        if keep_entries is not None:
            cutoff = min(cutoff, head - keep_entries)
        if older_than is not None:
            cutoff = min(cutoff, await self._last_seq_before(iso_utc(older_than), cutoff))
        if cutoff < self.first_seq:
            return 0
        dropped = int(await r.xtrim(self._key("log"), minid=f"{cutoff + 1}-0", approximate=False))
        metas = await r.hgetall(self._key("meta"))
        gone = [
            _text(i) or ""
            for i, m in ((i, orjson.loads(v)) for i, v in metas.items())
            if m["seq"] <= cutoff and m["status"] != "active"
        ]
        if gone:
            async with r.pipeline(transaction=True) as pipe:
                pipe.hdel(self._key("meta"), *gone)
                pipe.hdel(self._key("body"), *gone)
                pipe.hdel(self._key("workflow"), *gone)
                pipe.delete(*(self._key(f"ev:{i}") for i in gone))
                await pipe.execute()
        self.first_seq = cutoff + 1
        self.pruned += dropped
        return dropped

    async def _last_seq_before(self, at_iso: str, upper: int) -> int:
        """The last seq recorded before `at_iso` (entries are in time order), at most `upper`."""
        r = self._r()
        last, start = 0, f"{self.first_seq}-0"
        while last < upper:
            entries = await r.xrange(self._key("log"), min=start, count=PRUNE_PAGE)
            if not entries:
                break
            for entry in entries:
                if orjson.loads(entry.raw)["at"] >= at_iso:
                    return min(last, upper)
                last = entry.seq
            start = f"({last}-0"
        return min(last, upper)


def _recreated() -> LogError:
    return LogError(
        "the Redis stream was recreated under this node; it starts over", code="log_reset"
    )


def _after_seq(data: bytes, seq: int) -> bytes:
    """What follows `{"seq":N` in an entry's JSON or an event's meta: the write script puts the
    seq the entry really gets in front."""
    prefix = b'{"seq":%d' % seq
    if not data.startswith(prefix):
        raise LogError(f"entry {seq} does not begin with its seq")
    return data[len(prefix) :]


def _wanted(batches: list[list[Body]]) -> dict[str, set[int]]:
    """Each event the batches name, with the versions they bring of it (none for an action)."""
    wanted: dict[str, set[int]] = {}
    for bodies in batches:
        for body in bodies:
            if isinstance(body, Event):
                wanted.setdefault(body.event_id, set()).add(body.version)
            elif isinstance(body, Action):
                wanted.setdefault(body.event_id, set())
    return wanted


def _write_args(
    epoch: str, head: int, ev_prefix: str, lasts: dict[str, bytes], placed: Placement
) -> list[bytes | str | int]:
    """The write script's arguments: the checks, the entries (with their event's current
    version where they are it), then the workflows."""
    args: list[bytes | str | int] = [epoch, head, len(lasts), len(placed.entries)]
    args += [len(placed.flows), ev_prefix]
    for event_id, last in lasts.items():
        args += [event_id, last]
    for e in placed.entries:
        rest = _after_seq(e.raw, e.seq)
        args += [e.seq, rest, e.type, e.event_id or "", e.kind or "", e.severity or ""]
        latest = placed.latest.get(e.event_id or "")
        if latest is None or latest[1] != e.seq:
            args += [e.district or "", "", 0]
            continue
        event, seq, body_json = latest
        if not rest.endswith(body_json + b"}"):
            raise LogError(f"entry {seq} does not end with its body")
        args += [e.district or "", _after_seq(_meta(event, seq), seq), len(body_json)]
    for event_id, flow in placed.flows.items():
        args += [event_id, orjson.dumps(flow)]
    return args


def _meta(event: Event, seq: int) -> bytes:
    """The filter keys of an event's current version, as the `current` table holds them (seq and
    version first: the read script finds the version there). The model's times are UTC, which
    orjson writes as `iso_utc` does, in a quarter of its time."""
    return orjson.dumps(
        {
            "seq": seq,
            "version": event.version,
            "source": event.source,
            "kind": event.kind.value,
            "severity": event.severity.value,
            "status": event.status.value,
            "district": event.district,
            "updated_at": event.updated_at or event.sent_at,
            "sent_at": event.sent_at,
        },
        option=orjson.OPT_UTC_Z,
    )


def _entries(reply: list[list[Any]] | None, **_: Any) -> list[Committed]:
    """XRANGE's raw reply as entries: ids `<seq>-0`, fields in the order the write script gives
    them (raw, type, event_id, kind, severity, district), '' for a key the entry has not."""
    return [
        Committed(
            int(item_id[:-2]),
            f[3].decode(),
            f[5].decode() or None,
            f[7].decode() or None,
            f[9].decode() or None,
            f[11].decode() or None,
            f[1],
        )
        for item_id, f in reply or ()
    ]


def _read_entries(reply: dict[bytes, Any] | list[list[Any]] | None, **_: Any) -> list[Committed]:
    """XREAD's raw reply for the one stream the tail reads (a map in RESP3, pairs in RESP2)."""
    if not reply:
        return []
    [items] = reply.values() if isinstance(reply, dict) else [items for _, items in reply]
    return _entries(items)

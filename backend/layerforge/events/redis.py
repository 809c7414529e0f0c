"""The team server's event log: one Redis Stream per run, backed by the store.

Any process may append to a run (the API says `queued` and `cancelled`, a worker
forwards its trainer's events, an API replica records `worker_lost`). The run's state
lives in Redis beside its stream; an append watches that state key, applies the event
through the one state machine (events/run_state.py) and, in one MULTI/EXEC, writes the
new state, adds the event to the stream with the entry id `0-SEQ` and publishes a status
change on the all-runs channel. A concurrent append makes EXEC fail and is retried, so
seqs never repeat or skip whichever process appends.

The appending process also writes the event to the store (`run_events`, same seq;
events/store_writer.py); what a killed process appended but had not stored yet is
copied from the stream by `store_unwritten` (the reaper calls it). The stream keeps the newest `maxlen` events (MAXLEN ~); a read
or a replay takes what the stream no longer has from the store, so any API replica
serves any socket with the same replay-then-tail semantics as the one-machine log. Each
process tails a run's stream once (XREAD BLOCK) and fans it out to its own subscribers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import WatchError
from sqlalchemy.exc import IntegrityError

from layerforge.events.log import Event, Subscription
from layerforge.events.redis_clients import pooled_redis
from layerforge.events.run_state import RunState, run_state, state_columns
from layerforge.events.store_writer import StoreWriter
from layerforge.events.types import (
    RUN_EVENT,
    RunDeleted,
    RunEvent,
    RunStatusChange,
    StatusEvent,
)
from layerforge.store.runs import RunStore, StoredEvent, iso

log = logging.getLogger(__name__)

STATUS_CHANNEL = "layerforge:status"
KEEP_FINISHED_S = 3600  # a finished run's stream and state stay this long (the store has all)
TAIL_BLOCK_MS = 1000
FRESH_STATES = 1000  # states remembered for fresh_states()
MAX_CONNECTIONS = 256


def state_key(run_id: str) -> str:
    return f"layerforge:run:{run_id}:state"


def stream_key(run_id: str) -> str:
    return f"layerforge:run:{run_id}:events"


def entry_id(seq: int) -> str:
    return f"0-{seq}"


def dump_state(state: RunState) -> str:
    columns = state_columns(state)
    columns["started_at"], columns["finished_at"] = iso(state.started_at), iso(state.finished_at)
    return json.dumps(columns)


def load_state(text: str | bytes) -> RunState:
    return run_state(json.loads(text))


def _events_of(entries: Any) -> list[Event]:
    """Stream entries `(id, {b"e": json})` as events."""
    return [Event(RUN_EVENT.validate_json(fields[b"e"])) for _id, fields in entries]


class _Tail:
    """This process's reader of one run's stream, fanning out to its subscribers."""

    def __init__(self, run_id: str, last_seq: int):
        self.run_id = run_id
        self.last_seq = last_seq
        self.subscribers: set[Subscription] = set()
        self.task: asyncio.Task[None] | None = None


class RedisEventLog:
    def __init__(
        self,
        store: RunStore,
        redis_url: str,
        *,
        maxlen: int = 10_000,
        flush_interval: float = 0.1,
    ):
        self.store = store
        # each tailed run also holds a connection, in XREAD BLOCK
        self.redis: Redis = pooled_redis(redis_url, MAX_CONNECTIONS)
        self.maxlen = maxlen
        self.writer = StoreWriter(store, interval=flush_interval)
        self._fresh: OrderedDict[str, RunState] = OrderedDict()
        self._tails: dict[str, _Tail] = {}
        self._status_subs: set[Subscription] = set()
        self._feed: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        await self.redis.ping()  # fail at start, not at the first run, when Redis is down
        self.writer.start()
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(STATUS_CHANNEL)
        self._feed = asyncio.create_task(self._read_feed(pubsub), name="redis-status-feed")

    async def stop(self) -> None:
        if self._feed:
            self._feed.cancel()
            await asyncio.gather(self._feed, return_exceptions=True)
        for tail in list(self._tails.values()):
            if tail.task:
                tail.task.cancel()
            for sub in list(tail.subscribers):
                sub.close()
        for sub in list(self._status_subs):
            sub.close()
        await self.writer.stop()
        await self.redis.aclose()

    # -- state -----------------------------------------------------------------------
    def _remember(self, run_id: str, state: RunState) -> None:
        self._fresh[run_id] = state
        self._fresh.move_to_end(run_id)
        while len(self._fresh) > FRESH_STATES:
            self._fresh.popitem(last=False)

    async def _stored_state(self, run_id: str) -> RunState:
        """The run's state from the store: Redis has not got it (a finished run's expired,
        or Redis restarted empty). What this process appended is stored first."""
        await self.writer.flush()
        row = await asyncio.to_thread(self.store.get_run, run_id, with_graph=False)
        if row is None:
            raise KeyError(run_id)
        return run_state(row)

    async def state(self, run_id: str) -> RunState | None:
        raw = await self.redis.get(state_key(run_id))
        try:
            state = load_state(raw) if raw is not None else await self._stored_state(run_id)
        except KeyError:
            return None
        self._remember(run_id, state)
        return state.copy()

    def fresh_states(self) -> dict[str, RunState]:
        return {rid: state.copy() for rid, state in self._fresh.items()}

    # -- writing ---------------------------------------------------------------------
    async def append(self, run_id: str, event: RunEvent) -> Event | None:
        key = state_key(run_id)
        tried: Event | None = None
        pipeline: Any = self.redis.pipeline(transaction=True)  # redis-py leaves it untyped
        async with pipeline as pipe:
            while True:
                try:
                    if tried is not None and await self._in_stream(run_id, tried):
                        break  # the connection dropped after EXEC had stored it
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    state = load_state(raw) if raw is not None else await self._stored_state(run_id)
                    if not state.accepts(event):
                        await pipe.reset()
                        return None
                    numbered = event.model_copy(update={"seq": state.last_seq + 1})
                    state.apply(numbered)
                    ev = tried = Event(numbered)
                    pipe.multi()
                    self._queue_writes(pipe, run_id, state, ev)
                    await pipe.execute()
                    break
                except WatchError:
                    # another process appended meanwhile, or the connection dropped
                    # (redis-py reconnects and says WatchError): number it again
                    continue
        self._remember(run_id, state)
        self.writer.add(
            StoredEvent(run_id=run_id, seq=state.last_seq, type=numbered.type, data=ev.data),
            state.copy(),
        )
        return ev

    async def _in_stream(self, run_id: str, ev: Event) -> bool:
        assert ev.seq is not None
        at = entry_id(ev.seq)
        entries = await self.redis.xrange(stream_key(run_id), min=at, max=at)
        return any(
            stored.seq == ev.seq and stored.text == ev.text for stored in _events_of(entries)
        )

    def _queue_writes(self, pipe: Any, run_id: str, state: RunState, ev: Event) -> None:
        """The writes of one append, inside its MULTI."""
        assert ev.seq is not None
        pipe.set(state_key(run_id), dump_state(state))
        pipe.xadd(
            stream_key(run_id),
            {"e": ev.text},
            id=entry_id(ev.seq),
            maxlen=self.maxlen,
            approximate=True,
        )
        if isinstance(ev.message, StatusEvent):
            change = RunStatusChange(
                run_id=run_id,
                status=ev.message.status,
                seq=ev.seq,
                time=ev.message.time,
                error=state.error if state.terminal else None,
                metrics=dict(state.metrics) if state.terminal else None,
            )
            pipe.publish(STATUS_CHANNEL, change.model_dump_json(exclude_unset=True))
        if state.terminal:
            pipe.expire(state_key(run_id), KEEP_FINISHED_S)
            pipe.expire(stream_key(run_id), KEEP_FINISHED_S)

    async def forget(self, run_id: str) -> None:
        self.writer.drop(run_id)
        await self.writer.flush()  # nothing of it may land in the store after the delete
        await self.redis.delete(state_key(run_id), stream_key(run_id))
        self._fresh.pop(run_id, None)
        tail = self._tails.pop(run_id, None)
        if tail is not None:
            if tail.task:
                tail.task.cancel()
            for sub in list(tail.subscribers):
                sub.close()
        deleted = RunDeleted(run_id=run_id, time=time.time())
        await self.redis.publish(STATUS_CHANNEL, deleted.model_dump_json())

    async def flush(self) -> None:
        await self.writer.flush()

    async def store_unwritten(self, run_id: str) -> int:
        """Copy into the store the events the run's stream has past the stored `last_seq`
        (its writer was killed between the Redis append and the store flush), with the
        run's state from Redis; how many. For a run whose writer is gone: the reaper."""
        await self.writer.flush()  # what this process appended is not missing
        row = await asyncio.to_thread(self.store.get_run, run_id, with_graph=False)
        raw = await self.redis.get(state_key(run_id))
        if row is None or raw is None:
            return 0
        entries = await self.redis.xrange(
            stream_key(run_id), min=f"({entry_id(row['last_seq'])}", max="+"
        )
        missing = [
            StoredEvent(run_id=run_id, seq=ev.seq or 0, type=str(ev.data["type"]), data=ev.data)
            for ev in _events_of(entries)
        ]
        if missing:
            columns = state_columns(load_state(raw))
            try:
                await asyncio.to_thread(self.store.write_events, missing, {run_id: columns})
            except IntegrityError:  # another API replica copied them first
                return 0
        return len(missing)

    # -- reading ---------------------------------------------------------------------
    async def _collect(self, run_id: str, after: int, limit: int) -> list[Event]:
        """Events after `after`: from the store up to where the stream starts, then the
        stream."""
        entries = await self.redis.xrange(
            stream_key(run_id), min=f"({entry_id(after)}", max="+", count=limit
        )
        streamed = _events_of(entries)
        first = streamed[0].seq if streamed else None
        if first == after + 1:
            return streamed
        want = limit if first is None else min(limit, (first or 0) - 1 - after)
        rows = await asyncio.to_thread(self.store.read_events, run_id, after, want)
        stored = [Event(RUN_EVENT.validate_python(r)) for r in rows]
        last = stored[-1].seq if stored else after
        return (stored + [e for e in streamed if (e.seq or 0) > (last or 0)])[:limit]

    async def read(self, run_id: str, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        if await self.state(run_id) is None:
            raise KeyError(run_id)
        return [
            e.message  # type: ignore[misc]  # a run's stream holds run events only
            for e in await self._collect(run_id, after, limit)
        ]

    async def subscribe(self, run_id: str, after: int = 0, maxsize: int = 1000) -> Subscription:
        state = await self.state(run_id)
        if state is None:
            raise KeyError(run_id)
        sub = Subscription(maxsize, after)
        if not state.terminal:
            tail = self._tails.get(run_id)
            if tail is None:
                tail = self._tails[run_id] = _Tail(run_id, state.last_seq)
                tail.task = asyncio.create_task(self._tail(tail), name=f"tail-{run_id}")
            tail.subscribers.add(sub)  # before the replay read: newer events reach its queue
            sub._on_close = lambda: tail.subscribers.discard(sub)
        sub.replay(await self._collect(run_id, after, 10**9))
        if state.terminal:
            sub.finished = True
        return sub

    async def _tail(self, tail: _Tail) -> None:
        key = stream_key(tail.run_id)
        try:
            while tail.subscribers:
                reply = await self.redis.xread(
                    {key: entry_id(tail.last_seq)}, count=500, block=TAIL_BLOCK_MS
                )
                for _key, entries in cast(list[tuple[bytes, Any]], reply or []):
                    for ev in _events_of(entries):
                        tail.last_seq = ev.seq or tail.last_seq
                        for sub in list(tail.subscribers):
                            sub.offer(ev)
                        if ev.is_terminal:
                            return
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis went away: cut the sockets off, they resume with after=
            log.exception("tailing run %s failed", tail.run_id)
            for sub in list(tail.subscribers):
                sub.close()
        finally:
            if self._tails.get(tail.run_id) is tail:
                del self._tails[tail.run_id]

    # -- the all-runs feed -------------------------------------------------------------
    def subscribe_status(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(maxsize, None, on_close=lambda: self._status_subs.discard(sub))
        self._status_subs.add(sub)
        return sub

    async def _read_feed(self, pubsub: Any) -> None:
        """Status changes of every run, from whichever process appended them."""
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            data = json.loads(message["data"])
            feed: RunStatusChange | RunDeleted = (
                RunDeleted.model_validate(data)
                if data.get("type") == "deleted"
                else RunStatusChange.model_validate(data)
            )
            if isinstance(feed, RunStatusChange):
                await self.state(feed.run_id)  # fresh_states() follows other processes
            ev = Event(feed)
            for sub in list(self._status_subs):
                sub.offer(ev)

"""The WebSocket hub: a run's events, and the status changes of all runs.

Each connection gets its own bounded queue (an event log `Subscription`) and its own
sender task, so a slow client only ever waits on itself; one that falls more than
`settings.ws_queue` events behind is closed with 4408 (`CloseCode.TOO_SLOW`) and can
reconnect with `after=` the last seq it got. Messages are the events' JSON, the same
objects as `GET /api/runs/{id}/events` (`RunStreamMessage` and `FeedMessage` in
events/types.py); when nothing happened for `settings.ws_ping_s` the hub sends a
`PingMessage` (no seq). A run's socket closes with 1000 once the run's terminal status
was sent.

Close codes are `CloseCode` (api/close_codes.py, published in the OpenAPI document). The
hub checks Origin and token again itself (4403) so that it is safe also where it is
served without the app's `AccessGuard` (which refuses with 1008 before the hub).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

import anyio

from layerforge.api.close_codes import CloseCode
from layerforge.api.errors import ApiError
from layerforge.api.security import origin_allowed, socket_allowed
from layerforge.events.log import Event, EventLog, SubscriberOverflow, Subscription
from layerforge.events.types import PingMessage
from layerforge.settings import Settings

CLOSE_FINISHED = (CloseCode.FINISHED, "run finished")
CLOSE_SHUTDOWN = (CloseCode.SHUTDOWN, "server shutting down")
CLOSE_BAD_ORIGIN = (CloseCode.FORBIDDEN, "origin not allowed")
CLOSE_BAD_TOKEN = (CloseCode.FORBIDDEN, "missing or wrong token")
CLOSE_BAD_AFTER = (CloseCode.BAD_QUERY, "after must be a whole number >= 0")
CLOSE_UNKNOWN_RUN = (CloseCode.NOT_FOUND, "unknown run")


def _reason(text: str) -> str:
    """`text` cut to the 123 bytes a close frame's reason may hold."""
    return text.encode()[:123].decode(errors="ignore")


class Socket(Protocol):
    """What the hub uses of a Starlette WebSocket."""

    scope: Any

    async def accept(self) -> None: ...
    async def send_text(self, data: str) -> None: ...
    async def receive(self) -> MutableMapping[str, Any]: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class _Connection:
    def __init__(self, ws: Socket, sub: Subscription):
        self.ws = ws
        self.sub = sub
        self.close_with: tuple[int, str] | None = None
        self.sent_seq = sub.last_seq  # the last seq the client surely got
        self.last_send = time.monotonic()


class Hub:
    def __init__(self, settings: Settings, events: EventLog):
        self.settings = settings
        self.events = events
        self._connections: set[_Connection] = set()
        self._pinger: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._pinger = asyncio.create_task(self._ping_idle(), name="ws-pinger")

    def refusal(self, ws: Socket) -> tuple[int, str] | None:
        """Why this handshake may not go on (Origin, token), or None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in ws.scope["headers"]}
        if not socket_allowed(self.settings, ws.scope):
            return CLOSE_BAD_TOKEN
        origin = headers.get("origin")
        if origin is None or origin_allowed(self.settings, origin, headers.get("host", "")):
            return None  # no Origin: not a browser
        return CLOSE_BAD_ORIGIN

    async def stream_run(
        self,
        ws: Socket,
        run_id: str,
        after: str | None,
        whole_id: Callable[[str], Awaitable[str]] | None = None,
    ) -> None:
        """Send the run's events after `after`, then its new ones until it ends.
        `whole_id` makes a short id whole, raising the REST routes' 404 or 409."""
        await ws.accept()
        refused = self.refusal(ws)
        if refused:
            return await ws.close(*refused)
        try:
            start = int(after) if after not in (None, "") else 0
            if start < 0:
                raise ValueError
        except ValueError:
            return await ws.close(*CLOSE_BAD_AFTER)
        if whole_id is not None:
            try:
                run_id = await whole_id(run_id)
            except ApiError as exc:
                if exc.status != 409:
                    return await ws.close(*CLOSE_UNKNOWN_RUN)
                return await ws.close(CloseCode.AMBIGUOUS, _reason(str(exc)))
        try:
            sub = await self.events.subscribe(run_id, start, maxsize=self.settings.ws_queue)
        except KeyError:
            return await ws.close(*CLOSE_UNKNOWN_RUN)
        await self._serve(ws, sub, CLOSE_FINISHED)

    async def stream_status(self, ws: Socket) -> None:
        await ws.accept()
        refused = self.refusal(ws)
        if refused:
            return await ws.close(*refused)
        await self._serve(ws, self.events.subscribe_status(self.settings.ws_queue), CLOSE_SHUTDOWN)

    async def _serve(self, ws: Socket, sub: Subscription, on_end: tuple[int, str]) -> None:
        """Sender, receiver and overflow watch run until the first of them ends. An anyio
        task group, not asyncio.wait + gather: Starlette cancels the handler through an
        anyio cancel scope, which a cancelled gather of several tasks would escape."""
        conn = _Connection(ws, sub)
        self._connections.add(conn)
        try:
            async with anyio.create_task_group() as group:

                async def first_to_end(step: Callable[[], Awaitable[None]]) -> None:
                    await step()
                    group.cancel_scope.cancel()

                group.start_soon(first_to_end, lambda: self._send(conn, on_end))
                group.start_soon(first_to_end, lambda: self._receive(ws))
                group.start_soon(first_to_end, lambda: self._watch_overflow(conn))
        finally:
            sub.close()
            self._connections.discard(conn)
        if conn.close_with:
            try:
                await ws.close(*conn.close_with)
            except Exception:  # the client is gone already
                pass

    async def _watch_overflow(self, conn: _Connection) -> None:
        """Ends the connection when its queue overflowed, even while a send is stuck."""
        await conn.sub.cut_off.wait()
        conn.close_with = self._too_slow(conn)

    async def _send(self, conn: _Connection, on_end: tuple[int, str]) -> None:
        try:
            while (event := await conn.sub.next()) is not None:
                await conn.ws.send_text(event.text)
                conn.last_send = time.monotonic()
                if event.seq is not None:
                    conn.sent_seq = event.seq
            conn.close_with = conn.close_with or on_end
        except SubscriberOverflow:
            conn.close_with = self._too_slow(conn)
        except Exception:  # the client went away mid-send
            conn.close_with = None

    async def _ping_idle(self) -> None:
        """Every `ws_ping_s`, queue a ping on each socket idle that long. It goes through
        the socket's own queue and sender, so the sending path carries no timer."""
        interval = self.settings.ws_ping_s
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            for conn in list(self._connections):
                if now - conn.last_send >= interval:
                    conn.last_send = now
                    conn.sub.offer(Event(PingMessage()))

    @staticmethod
    def _too_slow(conn: _Connection) -> tuple[int, str]:
        return CloseCode.TOO_SLOW, f"client too slow: reconnect with after={conn.sent_seq or 0}"

    @staticmethod
    async def _receive(ws: Socket) -> None:
        """Read (and ignore) client messages until the client disconnects."""
        try:
            while (await ws.receive())["type"] != "websocket.disconnect":
                pass
        except Exception:  # the connection broke
            return

    async def stop(self) -> None:
        """Close every socket with 1001 (the clients reconnect with after=SEQ)."""
        if self._pinger:
            self._pinger.cancel()
        for conn in list(self._connections):
            conn.close_with = CLOSE_SHUTDOWN
            conn.sub.close()

"""The Redis clients of the team server (event log, queue, cancel, worker replies), all
made here so that each waits out a Redis restart instead of failing at once: a command
that finds the connection gone reconnects with a jittered exponential back-off for about
`RESTART_WAIT_S`, and a subscriber re-subscribes on reconnect (redis-py's own retry)."""

from __future__ import annotations

from typing import Any

from redis import Redis as SyncRedis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
from redis.retry import Retry

RESTART_WAIT_S = 30
_RETRIES = RESTART_WAIT_S  # capped at 1 s each: about RESTART_WAIT_S in all
_ERRORS = (ConnectionError, TimeoutError, BusyLoadingError)


def _backoff() -> ExponentialWithJitterBackoff:
    return ExponentialWithJitterBackoff(base=0.05, cap=1.0)


def _async_options() -> dict[str, Any]:
    return {"retry": AsyncRetry(_backoff(), _RETRIES, _ERRORS), "retry_on_error": list(_ERRORS)}


def async_redis(url: str) -> Redis:
    return Redis.from_url(url, **_async_options())


def pooled_redis(url: str, max_connections: int) -> Redis:
    """A client whose callers wait for a free connection instead of failing when
    hundreds of sockets subscribe at once."""
    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, **_async_options())
    return Redis(connection_pool=pool)


def sync_redis(url: str) -> SyncRedis:
    return SyncRedis.from_url(
        url, retry=Retry(_backoff(), _RETRIES, _ERRORS), retry_on_error=list(_ERRORS)
    )

"""How a Layerforge WebSocket ends: its close codes, once.

The OpenAPI document publishes them (`CloseCode`, and `FinalCloseCode`: those after
which reconnecting cannot help), so the editor's reconnect logic is typed from here."""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Literal

from pydantic import Field


class CloseCode(IntEnum):
    """1000 the run (or sweep) ended and everything was sent; 1001 the server is
    shutting down (reconnect with `after=` the last seq); 1008 Origin or token refused
    by the app's access guard, before the hub; 4400 a bad query parameter; 4403 Origin
    or token refused by the hub itself; 4404 no such run (or sweep); 4408 the client
    fell too far behind (reconnect with `after=` the last seq); 4409 a short run id that
    several runs' ids start with."""

    FINISHED = 1000
    SHUTDOWN = 1001
    REFUSED = 1008
    BAD_QUERY = 4400
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    TOO_SLOW = 4408
    AMBIGUOUS = 4409


FinalCloseCode = Annotated[
    Literal[CloseCode.BAD_QUERY, CloseCode.FORBIDDEN, CloseCode.NOT_FOUND, CloseCode.AMBIGUOUS],
    Field(
        title="FinalCloseCode", description="The close codes after which reconnecting cannot help."
    ),
]

CLOSE_CODE_SCHEMAS: dict[str, object] = {"CloseCode": CloseCode, "FinalCloseCode": FinalCloseCode}
"""What the OpenAPI document publishes beside the stream messages (api/routers/stream.py)."""

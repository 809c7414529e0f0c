"""A cap on a request's head (its request line and headers), which `layerforge serve`
gives uvicorn as its HTTP protocol.

uvicorn's default parser, httptools, buffers a head of any size before the app, and so
before any token is checked: ten connections each sending 50 MB of header held 480 MB
of the server's memory. This protocol counts the bytes a head has taken and answers 431
once they pass `limits.header_bytes`. It counts whole reads (up to 256 KiB each), after
the parser has seen them, so a head is cut at most one read past the cap and a body that
arrives in the same read as the end of its head is never counted.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from layerforge.settings import get_settings

HEADERS_TOO_LARGE = 431


class CappedHeadProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.header_bytes = get_settings().limits.header_bytes
        self._head_bytes = 0
        self._in_head = True  # the first bytes of a connection begin a head

    def on_message_begin(self) -> None:
        self._in_head, self._head_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.header_bytes:
            self._refuse()

    def _refuse(self) -> None:
        message = (
            f"The request line and headers are larger than the {self.header_bytes}-byte "
            "limit (LAYERFORGE_LIMIT_HEADER_BYTES)."
        )
        body = json.dumps(
            {"errors": [{"node": None, "param": None, "code": "too_large", "message": message}]}
        ).encode()
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[HEADERS_TOO_LARGE],
                    b"content-type: application/json\r\n",
                    b"content-length: %d\r\n" % len(body),
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        self.transport.close()

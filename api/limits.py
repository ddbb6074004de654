"""A limit on the size of request bodies, answered with 413 and a problem+json message.

The limit is checked twice: against ``Content-Length`` before the application sees the request, and
by counting the bytes as they stream in (a chunked body, or a client that sends more than it
announced). A body is never read past the limit, so one request cannot fill the server's memory.
"""

from __future__ import annotations

import contextlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM = "application/problem+json"


class _BodyTooLarge(Exception):
    """Raised from ``receive`` when the streamed body passes the limit."""


def _size(n: int) -> str:
    """Format a byte count for people: ``512 bytes``, ``2.5 KB``, ``10 MB``."""
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:g} KB"
    return f"{n / 1_000_000:g} MB"


class BodySizeLimit:
    """ASGI middleware refusing request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send, detail: str) -> None:
        body = json.dumps(
            {
                "type": "/problems/request-too-large",
                "title": "request too large",
                "status": 413,
                "detail": detail,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM.encode()),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is not read; the client must not reuse the connection.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _message(self, size: int | None) -> str:
        what = f"the request body is {_size(size)}" if size is not None else "the request body is larger"
        return f"{what}; the limit is {_size(self.max_bytes)} (setting max_request_bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the announced length, then count the streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = None
                if announced is not None and announced > self.max_bytes:
                    await self._refuse(send, self._message(announced))
                    return
        received = 0
        overflowed = False  # the body passed the limit while streaming
        started = False  # a response (the application's or our 413) has begun

        async def counting_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflowed = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflowed:
                # The application caught the error (FastAPI turns body errors into a 400): answer 413 instead.
                if not started:
                    started = True
                    await self._refuse(send, self._message(None))
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if overflowed and not started:
            await self._refuse(send, self._message(None))

"""A cap on the request body, enforced before the body is parsed (or, when declared, read at all).

A plain ASGI middleware rather than FastAPI's own ``max_body_size``: that arrived in a FastAPI
release far newer than the oldest one this package accepts, and its 413 is not OpenAI-shaped.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logicdistill.serve.errors import APIError, error_response


class BodyLimit:
    """A 413 for a body over ``max_bytes``: at once, unread, when its Content-Length says so;
    otherwise (chunked uploads declare no length) as soon as the bytes received pass the limit,
    so at most ``max_bytes`` plus one chunk is ever held."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            error = self._too_large(declared)
            await error_response(error.status_code, error.message, param=error.param, code=error.code)(
                scope, receive, send
            )
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        """``receive`` that raises once the body passes the limit; FastAPI lets the (HTTPException)
        error through to the app's handler while reading the body, before it parses anything."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise self._too_large()
            return message

        return counted

    def _too_large(self, declared: int | None = None) -> APIError:
        size = f"more than {self.max_bytes}" if declared is None else declared
        return APIError(
            413,
            f"the request body has {size} bytes; this server accepts at most {self.max_bytes}",
            code="request_too_large",
        )


def _content_length(scope: Scope) -> int | None:
    """The declared body size; None when absent or unreadable (the server's parser judges those)."""
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None

"""Every error the student server answers, in OpenAI's body ``{"error": {"message", "type",
"param", "code"}}``, so the ``openai`` client (and any OpenAI-compatible one) reports the server's
reason instead of FastAPI's ``{"detail": ...}``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

_SHOWN = 10  # schema problems named in one error: a body with thousands of bad items gets a short answer


class APIError(HTTPException):
    """A refused request. An ``HTTPException`` so that FastAPI passes it through untouched even
    when raised while it reads the body (the body-size limit does that); any other exception
    there would become a generic 400."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ):
        super().__init__(status, message)
        self.message, self.kind, self.param, self.code = message, kind, param, code


def error_response(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        headers=headers,
        content={"error": {"message": message, "type": kind, "param": param, "code": code}},
    )


def install_error_handlers(app: FastAPI) -> None:
    """OpenAI's error body for our own refusals, FastAPI's and Starlette's (unknown route, wrong
    method, unreadable body), malformed JSON and schema violations, and unexpected failures."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _unexpected)


def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if isinstance(exc, APIError):
        return error_response(exc.status_code, exc.message, exc.kind, exc.param, exc.code)
    message = str(exc.detail)
    if exc.status_code in (404, 405):  # as OpenAI words it: which URL was wrong
        message = f"{message}: {request.method} {request.url.path}"
    return error_response(exc.status_code, message, headers=exc.headers)  # keeps e.g. 405's Allow header


def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    """400 with the problems in one line, as OpenAI answers a malformed body (not FastAPI's 422)."""
    errors = exc.errors()
    if errors and errors[0]["type"] == "json_invalid":  # loc is ("body", character offset)
        reason = errors[0].get("ctx", {}).get("error", "JSON decode error")
        return error_response(400, f"the body is not valid JSON: {reason} at character {errors[0]['loc'][-1]}")
    problems = [f"{_where(e['loc']) or 'body'}: {e['msg']}" for e in errors[:_SHOWN]]
    more = f"; and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
    return error_response(400, "; ".join(problems) + more, param=_where(errors[0]["loc"]) if errors else None)


def _where(loc: tuple) -> str | None:
    """``messages.0.content`` for a location ``("body", "messages", 0, "content")``."""
    return ".".join(map(str, loc[1:])) or None


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    """A 500 the client can read; Starlette re-raises the exception afterwards, so it is logged."""
    return error_response(500, "the server failed on this request; its log says why", kind="server_error")

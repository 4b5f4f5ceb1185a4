"""Every error the service answers, in the one shape of SPEC §5.2.

Handlers replace FastAPI's own for its validation errors and HTTP exceptions (unknown
routes included), and a last handler turns a bug into a 500 in the same shape, so no
client ever sees another format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from cpol.diagnostics import Diagnostic

LOG = logging.getLogger("cpol.server")

CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class Closed(BaseModel):
    """Documented with `additionalProperties: false`: an error carries these fields only."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Closed):
    path: str | None
    message: str


class ErrorInfo(Closed):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorBody(Closed):
    """`{"error": {"code", "message", "details": [{"path", "message"}]}}`."""

    error: ErrorInfo


class ApiError(Exception):
    """An error answer: raised anywhere below a route, written by `_api_error`."""

    def __init__(
        self, status: int, message: str, details: Iterable[ErrorDetail] = (), code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = list(details)


def not_found(what: str = "contact policy") -> ApiError:
    return ApiError(404, f"{what} not found")


def diagnostic_details(diagnostics: Sequence[Diagnostic]) -> list[ErrorDetail]:
    """The library's diagnostics as details: the JSON path, or for `.cpol` text the line and
    column in the message (source text has no JSON path)."""
    details = []
    for d in diagnostics:
        where = f"line {d.span.line}, column {d.span.column}: " if d.span and not d.path else ""
        details.append(ErrorDetail(path=d.path, message=where + d.message))
    return details


def error_response(error: ApiError) -> JSONResponse:
    body = ErrorBody(error=ErrorInfo(code=error.code, message=error.message, details=error.details))
    return JSONResponse(body.model_dump(), status_code=error.status)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return error_response(ApiError(exc.status_code, message))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's query/path parameter errors: the parameter's name is the path."""
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(path=".".join(str(part) for part in e["loc"][1:]) or None, message=e["msg"])
        for e in exc.errors()
    ]
    return error_response(ApiError(400, "the request is invalid", details))


async def _internal_error(_request: Request, exc: Exception) -> JSONResponse:
    LOG.exception("internal error", exc_info=exc)
    return error_response(ApiError(500, "internal error", code="internal_error"))


def _without_422(generate: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document without the 422 answers FastAPI adds to every operation with
    parameters: `_validation_error` answers those problems with a 400, documented already."""

    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI keeps it: the second call returns it as edited here
        for item in document["paths"].values():
            for operation in item.values():
                operation["responses"].pop("422", None)
        for unused in ("HTTPValidationError", "ValidationError"):
            document.get("components", {}).get("schemas", {}).pop(unused, None)
        return document

    return openapi


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)
    app.openapi = _without_422(app.openapi)  # type: ignore[method-assign]

"""Reading request bodies (SPEC §5.2): media type, size limit, JSON with line and column.

A body is read here rather than by FastAPI because a policy may come as JSON or as
`.cpol` text, and because the size limit must hold for bodies that lie about (or omit)
their Content-Length: the stream is counted as it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from cpol.diagnostics import Diagnostics
from cpol.plan.jsontext import decode_json
from cpol.server.errors import ApiError, diagnostic_details

JSON = "application/json"
CPOL = "text/x-cpol"


@dataclass(frozen=True)
class Body:
    """A request body: decoded JSON (`value`) or `.cpol` text (`text`)."""

    media_type: str
    value: object = None
    text: str = ""


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _read_limited(request: Request, limit: int) -> bytes:
    too_large = ApiError(413, f"the body is larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, accepted: tuple[str, ...] = (JSON,)) -> Body:
    """The body if its media type is one of `accepted` (else 415), within the size limit
    (else 413), and readable: JSON that parses, text that is UTF-8 (else 400)."""
    kind = media_type(request)
    if kind not in accepted:
        raise ApiError(415, f"the body must be {' or '.join(accepted)}, not {kind or 'untyped'}")
    raw = await _read_limited(request, request.app.state.settings.max_body_bytes)
    if kind == CPOL:
        try:
            return Body(kind, text=raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ApiError(400, f"the body is not UTF-8 text (invalid byte at offset {exc.start})") from None
    try:
        value, repeated = decode_json(raw, "<body>")
    except Diagnostics as exc:
        first = exc.items[0]
        where = f" at line {first.span.line}, column {first.span.column}" if first.span else ""
        raise ApiError(
            400, f"malformed JSON{where}: {first.message}", diagnostic_details(exc.items)
        ) from None
    if repeated:
        raise ApiError(400, "the body repeats keys", diagnostic_details(repeated))
    return Body(kind, value=value)


async def read_json(request: Request) -> Body:
    return await read_body(request)


async def read_policy_body(request: Request) -> Body:
    return await read_body(request, (JSON, CPOL))

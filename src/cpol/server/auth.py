"""Who is asking, and may they (SPEC §5.1): `Authorization: Bearer KEY` or `X-API-Key`."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from cpol.server.errors import ApiError
from cpol.server.keys import Principal, Role, authenticate


def _presented_key(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


def require(minimum: Role) -> Callable[[Request], Principal]:
    """A dependency answering 401 without a live key and 403 below the `minimum` role."""

    def dependency(request: Request) -> Principal:
        key = _presented_key(request)
        principal = authenticate(request.app.state.engine, key) if key else None
        if principal is None:
            raise ApiError(401, "a valid API key is required (Authorization: Bearer KEY or X-API-Key)")
        if not principal.may(minimum):
            raise ApiError(403, f"this needs the {minimum} role; the key has {principal.role}")
        return principal

    return dependency

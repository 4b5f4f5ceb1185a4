"""Who is asking, and may they (SPEC §5.1): `Authorization: Bearer KEY` or `X-API-Key`.

The key is read by FastAPI's security schemes, so `/openapi.json` documents both ways of
giving it on every operation that needs one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from cpol.server.errors import ApiError
from cpol.server.keys import Principal, Role, authenticate

BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer KEY`")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: KEY`")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
HeaderKey = Annotated[str | None, Depends(API_KEY)]


def require(minimum: Role) -> Callable[[Request, Bearer, HeaderKey], Awaitable[Principal]]:
    """A dependency answering 401 without a live key and 403 below the `minimum` role. It
    runs on the event loop (one indexed lookup), not in a thread of its own before the
    route's."""

    async def dependency(request: Request, bearer: Bearer, header_key: HeaderKey) -> Principal:
        key = bearer.credentials if bearer else header_key
        principal = authenticate(request.app.state.engine, key) if key else None
        if principal is None:
            raise ApiError(401, "a valid API key is required (Authorization: Bearer KEY or X-API-Key)")
        if not principal.may(minimum):
            raise ApiError(403, f"this needs the {minimum} role; the key has {principal.role}")
        return principal

    return dependency

"""What every route module shares: the roles as parameters, the engine, the documented
error answers, JSON-object bodies and their OpenAPI description."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine

from cpol.server.auth import require
from cpol.server.bodies import Body
from cpol.server.errors import ApiError, ErrorBody
from cpol.server.keys import Principal

Viewer = Annotated[Principal, Depends(require("viewer"))]
Editor = Annotated[Principal, Depends(require("editor"))]
Admin = Annotated[Principal, Depends(require("admin"))]
#: A list's page size (SPEC §5.3: 1–100, else 400).
Limit = Annotated[int, Query(ge=1, le=100)]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 415)
}


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def json_object(body: Body) -> dict[str, Any]:
    if not isinstance(body.value, dict):
        raise ApiError(400, "the body must be one JSON object")
    return body.value


def json_body(model: type[BaseModel], *, partial: bool = False) -> dict[str, Any]:
    """`openapi_extra` for a JSON body read by `bodies` (so FastAPI does not read it), as
    `model` describes it; `partial`: any of its fields (an update of the fields given)."""
    schema = model.model_json_schema()
    if partial:
        schema.pop("required", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}

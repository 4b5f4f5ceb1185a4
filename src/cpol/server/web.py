"""What every route module shares: the roles as parameters, the engine, the documented
error answers, JSON-object bodies and their OpenAPI description."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import TypeAdapter
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


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its `$defs` references replaced by what they name: a body's
    schema is placed inside the OpenAPI document, where `#/$defs/…` would point nowhere."""
    if isinstance(node, list):
        return [_inlined(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
    return {key: _inlined(value, defs) for key, value in node.items() if key != "$defs"}


def json_body(model: Any, *, partial: bool = False, description: str | None = None) -> dict[str, Any]:
    """`openapi_extra` for a JSON body read by `bodies` (so FastAPI does not read it), as
    `model` (a pydantic model, or a union of them) describes it, nested models inlined;
    `partial`: any of its fields (an update of the fields given)."""
    schema = TypeAdapter(model).json_schema()
    schema = _inlined(schema, schema.get("$defs", {}))
    if partial:
        schema.pop("required", None)
    if description is not None:
        schema["description"] = description
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}

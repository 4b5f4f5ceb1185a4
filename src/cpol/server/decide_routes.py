"""`POST /decide` and the decision log's endpoints (SPEC §5.6), thin over `decide` and
`decision_log`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import decide, decision_log, suppressions
from cpol.server.bodies import Body, read_json
from cpol.server.schemas import DecisionAnswer, DecisionLogEntry, DecisionLogPage
from cpol.server.web import ERRORS, Limit, Viewer

router = APIRouter(tags=["decide"])
#: JSON Schema types of the body's fields, as `decide.read_asked` checks them.
JSON_TYPES: dict[type, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    dict: {"type": "object"},
    list: {"type": "array", "items": {"type": "object"}},
}


def _decide_body() -> dict[str, Any]:
    """The body's schema, made from the table `decide` checks it with (null is as absent)."""
    fields: dict[str, dict[str, Any]] = {
        key: {"anyOf": [JSON_TYPES[kind], {"type": "null"}]} for key, (kind, _) in decide.BODY_KINDS.items()
    }
    fields["customerId"] = {"type": "string", "minLength": 1}
    fields["candidates"] = JSON_TYPES[list]
    schema = {
        "type": "object",
        "properties": fields,
        "required": ["customerId", "candidates"],
        "additionalProperties": False,
        "description": "SPEC §5.6; `now`, `customer`, `interactions`, `budgets`, `session` and "
        "`candidates` are the §2 request's parts",
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _service(request: Request) -> decide.Service:
    service: decide.Service = request.app.state.decide
    return service


@router.post(
    "/decide",
    response_model=None,
    responses={200: {"model": DecisionAnswer}, **ERRORS},
    openapi_extra=_decide_body(),
)
async def decide_endpoint(
    request: Request, who: Viewer, body: Annotated[Body, Depends(read_json)]
) -> Response:
    return Response(
        await decide.decide(_service(request), who.tenant_id, body.value), media_type="application/json"
    )


@router.get(
    "/decisions/{decision_id}", response_model=None, responses={200: {"model": DecisionLogEntry}, **ERRORS}
)
def decision_entry(request: Request, who: Viewer, decision_id: str) -> JSONResponse:
    return JSONResponse(decision_log.entry(_service(request).engine, who.tenant_id, decision_id))


@router.get(
    "/customers/{customerId}/decisions",
    response_model=None,
    responses={200: {"model": DecisionLogPage}, **ERRORS},
)
def customer_decisions(
    request: Request,
    who: Viewer,
    customerId: str,
    limit: Limit = 25,
    cursor: str | None = None,
) -> JSONResponse:
    """The path's customer as for its suppression records (a NUL was a 500 on PostgreSQL)."""
    customer = suppressions.customer_id(customerId)
    page = decision_log.customer_page(
        _service(request).engine, who.tenant_id, customer, limit, cursor or None
    )
    return JSONResponse(page.answer())

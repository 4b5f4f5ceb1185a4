"""`POST /decide` and the decision log's endpoints (SPEC §5.6), thin over `decide` and
`decision_log`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import decide, decision_log
from cpol.server.bodies import Body, read_json
from cpol.server.schemas import DecisionAnswer, DecisionLogEntry, DecisionLogPage
from cpol.server.web import ERRORS, Limit, Viewer

router = APIRouter(tags=["decide"])
DECIDE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "{customerId, candidates, now?, session?, explain?, flowId?, customer?, "
                    "interactions?, budgets?} (SPEC §5.6)",
                }
            }
        },
    }
}


def _service(request: Request) -> decide.Service:
    service: decide.Service = request.app.state.decide
    return service


@router.post(
    "/decide",
    response_model=None,
    responses={200: {"model": DecisionAnswer}, **ERRORS},
    openapi_extra=DECIDE_BODY,
)
def decide_endpoint(request: Request, who: Viewer, body: Annotated[Body, Depends(read_json)]) -> Response:
    return Response(
        decide.decide(_service(request), who.tenant_id, body.value), media_type="application/json"
    )


@router.get(
    "/decisions/{decision_id}", response_model=None, responses={200: {"model": DecisionLogEntry}, **ERRORS}
)
def decision_entry(request: Request, who: Viewer, decision_id: str) -> JSONResponse:
    return JSONResponse(decision_log.entry(_service(request).engine, who.tenant_id, decision_id))


@router.get(
    "/customers/{customer_id}/decisions",
    response_model=None,
    responses={200: {"model": DecisionLogPage}, **ERRORS},
)
def customer_decisions(
    request: Request,
    who: Viewer,
    customer_id: str,
    limit: Limit = 25,
    cursor: str | None = None,
) -> JSONResponse:
    page = decision_log.customer_page(
        _service(request).engine, who.tenant_id, customer_id, limit, cursor or None
    )
    return JSONResponse(page.answer())

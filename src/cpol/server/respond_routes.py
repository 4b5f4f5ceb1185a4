"""`POST /respond` and a customer's suppression records (SPEC §5.6), thin over `respond`
and `suppressions`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import respond, suppressions
from cpol.server.bodies import Body, read_json
from cpol.server.schemas import (
    InteractionBatch,
    InteractionFields,
    Responded,
    Suppression,
    SuppressionFields,
    SuppressionList,
)
from cpol.server.web import ERRORS, Editor, Viewer, engine_of, json_body, json_object

router = APIRouter()
RECORDS = "/customers/{customerId}/suppressions"


#: One interaction, or a batch of them.
RESPOND_BODY = json_body(
    InteractionFields | InteractionBatch, description="one interaction, or {interactions: [...]} (1 to 1,000)"
)


@router.post(
    "/respond", status_code=201, response_model=None, responses={201: {"model": Responded}, **ERRORS},
    openapi_extra=RESPOND_BODY, tags=["respond"],
)  # fmt: skip
def record_interactions(
    request: Request, who: Editor, body: Annotated[Body, Depends(read_json)]
) -> JSONResponse:
    """201 with the interactions as stored and the suppression records they created or
    extended; a repeated `idempotencyKey` answers its first result again."""
    sets = request.app.state.decide.sets  # the live sets' engines, shared with decide
    answer = respond.respond(engine_of(request), sets, who.tenant_id, json_object(body))
    return JSONResponse(answer, status_code=201)


@router.get(
    RECORDS, response_model=None, responses={200: {"model": SuppressionList}, **ERRORS}, tags=["suppressions"]
)
def list_suppressions(
    request: Request, who: Viewer, customerId: str, active: bool | None = None
) -> JSONResponse:
    """Active records first, then by expiresAt, latest first (never expiring first)."""
    customer = suppressions.customer_id(customerId)
    return JSONResponse({"data": suppressions.listed(engine_of(request), who.tenant_id, customer, active)})


@router.post(
    RECORDS, status_code=201, response_model=None, responses={201: {"model": Suppression}, **ERRORS},
    openapi_extra=json_body(SuppressionFields), tags=["suppressions"],
)  # fmt: skip
def create_suppression(
    request: Request, who: Editor, customerId: str, body: Annotated[Body, Depends(read_json)]
) -> JSONResponse:
    customer = suppressions.customer_id(customerId)
    record = suppressions.create_manual(engine_of(request), who.tenant_id, customer, json_object(body))
    return JSONResponse(record, status_code=201)


@router.delete(
    RECORDS + "/{recordId}", status_code=204, response_class=Response, responses=ERRORS, tags=["suppressions"]
)
def lift_suppression(request: Request, who: Editor, customerId: str, recordId: str) -> Response:
    """Deletes a manual record; a record made by a policy answers 409."""
    customer = suppressions.customer_id(customerId)
    suppressions.delete_manual(engine_of(request), who.tenant_id, customer, recordId)
    return Response(status_code=204)

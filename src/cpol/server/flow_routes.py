"""The decision-flow endpoints of SPEC §5.5, thin over `flows`: reads for viewers, writes
for admins (as for contact policies, which flows decide the use of)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import flows
from cpol.server.bodies import Body, read_json
from cpol.server.schemas import FlowFields, FlowPage, StoredFlow
from cpol.server.web import ERRORS, Admin, Limit, Viewer, engine_of, json_body, json_object

router = APIRouter(prefix="/decision-flows", tags=["decision flows"])
STORED = {200: {"model": StoredFlow}, **ERRORS}


@router.get("", response_model=None, responses={200: {"model": FlowPage}, **ERRORS})
def list_flows(request: Request, who: Viewer, limit: Limit = 25, cursor: str | None = None) -> JSONResponse:
    """Newest first; keyset pagination as for contact policies."""
    page = flows.list_page(engine_of(request), who.tenant_id, limit, cursor or None)
    return JSONResponse(page.answer())


@router.post(
    "", status_code=201, response_model=None, responses={201: {"model": StoredFlow}, **ERRORS},
    openapi_extra=json_body(FlowFields),
)  # fmt: skip
def create_flow(request: Request, who: Admin, body: Annotated[Body, Depends(read_json)]) -> JSONResponse:
    flow = flows.create(engine_of(request), who.tenant_id, json_object(body))
    return JSONResponse(flow, status_code=201)


@router.get("/{flow_id}", response_model=None, responses=STORED)
def get_flow(request: Request, who: Viewer, flow_id: str) -> JSONResponse:
    return JSONResponse(flows.get(engine_of(request), who.tenant_id, flow_id))


@router.put(
    "/{flow_id}", response_model=None, responses=STORED, openapi_extra=json_body(FlowFields, partial=True)
)
def update_flow(
    request: Request, who: Admin, flow_id: str, body: Annotated[Body, Depends(read_json)]
) -> JSONResponse:
    """Only the fields given change (`draftConfig` is replaced whole)."""
    return JSONResponse(flows.update(engine_of(request), who.tenant_id, flow_id, json_object(body)))


@router.delete("/{flow_id}", status_code=204, response_class=Response, responses=ERRORS)
def delete_flow(request: Request, who: Admin, flow_id: str) -> Response:
    flows.delete(engine_of(request), who.tenant_id, flow_id)
    return Response(status_code=204)

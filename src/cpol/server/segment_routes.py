"""The dynamic-segment endpoints of SPEC §7, thin over `segments`. Its router is included
before the contacts', whose `/contacts/{contact_id}` would otherwise take `segments` for
a contact's id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import segments
from cpol.server.bodies import Body, read_json
from cpol.server.contact_fields import ContactPage
from cpol.server.segments import SegmentFields, SegmentPage, StoredSegment
from cpol.server.web import ERRORS, Editor, Limit, Viewer, engine_of, json_body, json_object

router = APIRouter(prefix="/contacts/segments", tags=["segments"])
ONE = "/{segment_id}"
ANSWERS = {200: {"model": StoredSegment}, **ERRORS}


@router.get("", response_model=None, responses={200: {"model": SegmentPage}, **ERRORS})
def list_segments(
    request: Request, who: Viewer, limit: Limit = 25, cursor: str | None = None
) -> JSONResponse:
    """Newest first."""
    return JSONResponse(segments.list_page(engine_of(request), who.tenant_id, limit, cursor or None).answer())


@router.post(
    "", status_code=201, response_model=None, responses={201: {"model": StoredSegment}, **ERRORS},
    openapi_extra=json_body(SegmentFields),
)  # fmt: skip
def create_segment(request: Request, who: Editor, body: Annotated[Body, Depends(read_json)]) -> JSONResponse:
    """201 with the segment; a 400 names the path of each problem of its rules."""
    made = segments.create(engine_of(request), who.tenant_id, json_object(body))
    return JSONResponse(made, status_code=201)


@router.get(ONE, response_model=None, responses=ANSWERS)
def get_segment(request: Request, who: Viewer, segment_id: str) -> JSONResponse:
    return JSONResponse(segments.get(engine_of(request), who.tenant_id, segment_id))


@router.delete(ONE, status_code=204, response_class=Response, responses=ERRORS)
def delete_segment(request: Request, who: Editor, segment_id: str) -> Response:
    """The segment only: no contact changes."""
    segments.delete(engine_of(request), who.tenant_id, segment_id)
    return Response(status_code=204)


@router.get(f"{ONE}/members", response_model=None, responses={200: {"model": ContactPage}, **ERRORS})
def segment_members(
    request: Request, who: Viewer, segment_id: str, limit: Limit = 25, cursor: str | None = None
) -> JSONResponse:
    """The contacts its rules select now, newest first (as `/contacts`)."""
    page = segments.members_page(engine_of(request), who.tenant_id, segment_id, limit, cursor or None)
    return JSONResponse(page.answer())

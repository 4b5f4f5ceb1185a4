"""The contact-list endpoints of SPEC §7, thin over `contact_lists`: reads for viewers,
writes for editors. The app includes this router before the contacts', whose
`/contacts/{contact_id}` would otherwise take `lists` for a contact's id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import contact_lists
from cpol.server.bodies import Body, read_json
from cpol.server.contact_lists import ListFields, ListPage, MemberIds, MemberPage, MembersAdded, StoredList
from cpol.server.web import ERRORS, Editor, Limit, Viewer, engine_of, json_body, json_object

router = APIRouter(prefix="/contacts/lists", tags=["contact lists"])
ONE = "/{list_id}"
STORED = {200: {"model": StoredList}, **ERRORS}
Json = Annotated[Body, Depends(read_json)]


@router.get("", response_model=None, responses={200: {"model": ListPage}, **ERRORS})
def list_lists(request: Request, who: Viewer, limit: Limit = 25, cursor: str | None = None) -> JSONResponse:
    """Newest first; keyset pagination as for contacts."""
    page = contact_lists.list_page(engine_of(request), who.tenant_id, limit, cursor or None)
    return JSONResponse(page.answer())


@router.post(
    "", status_code=201, response_model=None, responses={201: {"model": StoredList}, **ERRORS},
    openapi_extra=json_body(ListFields),
)  # fmt: skip
def create_list(request: Request, who: Editor, body: Json) -> JSONResponse:
    """201 with the list; `kind` is `standard` unless it says `dnc`."""
    made = contact_lists.create(engine_of(request), who.tenant_id, json_object(body))
    return JSONResponse(made, status_code=201)


@router.get(ONE, response_model=None, responses=STORED)
def get_list(request: Request, who: Viewer, list_id: str) -> JSONResponse:
    return JSONResponse(contact_lists.get(engine_of(request), who.tenant_id, list_id))


@router.put(ONE, response_model=None, responses=STORED, openapi_extra=json_body(ListFields, partial=True))
def update_list(request: Request, who: Editor, list_id: str, body: Json) -> JSONResponse:
    """The fields given change (null clears the description)."""
    changed = contact_lists.update(engine_of(request), who.tenant_id, list_id, json_object(body))
    return JSONResponse(changed)


@router.delete(ONE, status_code=204, response_class=Response, responses=ERRORS)
def delete_list(request: Request, who: Editor, list_id: str) -> Response:
    """The list goes with its memberships; its contacts stay."""
    contact_lists.delete_list(engine_of(request), who.tenant_id, list_id)
    return Response(status_code=204)


@router.get(f"{ONE}/members", response_model=None, responses={200: {"model": MemberPage}, **ERRORS})
def list_members(
    request: Request, who: Viewer, list_id: str, limit: Limit = 25, cursor: str | None = None
) -> JSONResponse:
    """The member contacts, most recently added first."""
    page = contact_lists.members_page(engine_of(request), who.tenant_id, list_id, limit, cursor or None)
    return JSONResponse(page.answer())


@router.post(
    f"{ONE}/members", response_model=None, responses={200: {"model": MembersAdded}, **ERRORS},
    openapi_extra=json_body(MemberIds),
)  # fmt: skip
def add_members(request: Request, who: Editor, list_id: str, body: Json) -> JSONResponse:
    """Adds the contacts not yet members; an id that is no contact of the tenant: 400."""
    added = contact_lists.add_members(engine_of(request), who.tenant_id, list_id, json_object(body))
    return JSONResponse(added)


@router.delete(f"{ONE}/members/{{contact_id}}", status_code=204, response_class=Response, responses=ERRORS)
def remove_member(request: Request, who: Editor, list_id: str, contact_id: str) -> Response:
    """404 when the contact is not a member."""
    contact_lists.remove_member(engine_of(request), who.tenant_id, list_id, contact_id)
    return Response(status_code=204)

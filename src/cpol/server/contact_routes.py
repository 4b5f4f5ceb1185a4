"""The contacts endpoints of SPEC §7, thin over `contacts`. `/contacts/optouts` is declared
before `/contacts/{contact_id}`, which would otherwise take `optouts` for an id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import contacts
from cpol.server.bodies import Body, read_json
from cpol.server.contact_fields import (
    ActivityPage,
    ContactFields,
    ContactPage,
    Preferences,
    StoredContact,
    Tags,
)
from cpol.server.schemas import ChannelType
from cpol.server.web import ERRORS, Editor, Limit, Viewer, engine_of, json_body, json_object

router = APIRouter(tags=["contacts"])
ONE = "/contacts/{contact_id}"
#: A query's text: what a stored value can be (PostgreSQL's text holds no NUL).
Text = Annotated[str | None, Query(max_length=255, pattern="^[^\x00]*$")]
ANSWERS = {200: {"model": StoredContact}, **ERRORS}
Json = Annotated[Body, Depends(read_json)]


@router.post(
    "/contacts", status_code=201, response_model=None, responses={201: {"model": StoredContact}, **ERRORS},
    openapi_extra=json_body(ContactFields),
)  # fmt: skip
def create_contact(request: Request, who: Editor, body: Json) -> JSONResponse:
    """201 with the contact; 409 when its phone or email is another contact's."""
    made = contacts.create(engine_of(request), who.tenant_id, json_object(body))
    return JSONResponse(made, status_code=201)


@router.get("/contacts", response_model=None, responses={200: {"model": ContactPage}, **ERRORS})
def list_contacts(
    request: Request,
    who: Viewer,
    limit: Limit = 25,
    cursor: str | None = None,
    search: Text = None,
    lifecycleStage: Text = None,
    country: Text = None,
) -> JSONResponse:
    """Newest first; `search` finds the text in names, phone or email (any case)."""
    filters = {"lifecycle_stage": lifecycleStage, "country": country}
    page = contacts.list_page(engine_of(request), who.tenant_id, limit, cursor or None, filters, search)
    return JSONResponse(page.answer())


@router.get("/contacts/optouts", response_model=None, responses={200: {"model": ContactPage}, **ERRORS})
def list_optouts(
    request: Request,
    who: Viewer,
    limit: Limit = 25,
    cursor: str | None = None,
    channel: ChannelType | None = None,
    search: Text = None,
) -> JSONResponse:
    """Contacts opted out of a channel (of `channel`, when given), newest first."""
    page = contacts.optouts_page(engine_of(request), who.tenant_id, limit, cursor or None, channel, search)
    return JSONResponse(page.answer())


@router.get(ONE, response_model=None, responses=ANSWERS)
def get_contact(request: Request, who: Viewer, contact_id: str) -> JSONResponse:
    return JSONResponse(contacts.get(engine_of(request), who.tenant_id, contact_id))


@router.put(ONE, response_model=None, responses=ANSWERS, openapi_extra=json_body(ContactFields, partial=True))
def update_contact(request: Request, who: Editor, contact_id: str, body: Json) -> JSONResponse:
    """The fields given change (null clears one); `customFields` is merged key by key."""
    changed = contacts.update_fields(engine_of(request), who.tenant_id, contact_id, json_object(body))
    return JSONResponse(changed)


@router.delete(ONE, status_code=204, response_class=Response, responses=ERRORS)
def delete_contact(request: Request, who: Editor, contact_id: str) -> Response:
    """Erases the contact and every record under its id (interactions, suppression
    records, decisions), in one transaction."""
    contacts.erase(engine_of(request), who.tenant_id, contact_id)
    return Response(status_code=204)


@router.post(f"{ONE}/tags", response_model=None, responses=ANSWERS, openapi_extra=json_body(Tags))
def add_tags(request: Request, who: Editor, contact_id: str, body: Json) -> JSONResponse:
    """The contact with the tags added (those it has are ignored)."""
    return JSONResponse(contacts.add_tags(engine_of(request), who.tenant_id, contact_id, json_object(body)))


@router.delete(f"{ONE}/tags/{{tag}}", response_model=None, responses=ANSWERS)
def remove_tag(request: Request, who: Editor, contact_id: str, tag: str) -> JSONResponse:
    """The contact without the tag (a tag it does not have: unchanged)."""
    return JSONResponse(contacts.remove_tag(engine_of(request), who.tenant_id, contact_id, tag))


PREFERENCES = json_body(Preferences)


@router.put(f"{ONE}/preferences", response_model=None, responses=ANSWERS, openapi_extra=PREFERENCES)
def set_preferences(request: Request, who: Editor, contact_id: str, body: Json) -> JSONResponse:
    """Merged into the contact's preferences (a channel given null is forgotten)."""
    changed = contacts.set_preferences(engine_of(request), who.tenant_id, contact_id, json_object(body))
    return JSONResponse(changed)


@router.get(f"{ONE}/activity", response_model=None, responses={200: {"model": ActivityPage}, **ERRORS})
def contact_activity(
    request: Request, who: Viewer, contact_id: str, limit: Limit = 25, cursor: str | None = None
) -> JSONResponse:
    """Its interactions (at their timestamps) and decisions, newest first."""
    page = contacts.activity_page(engine_of(request), who.tenant_id, contact_id, limit, cursor or None)
    return JSONResponse(page.answer())

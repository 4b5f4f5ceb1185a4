"""The offer and channel catalogue endpoints of SPEC §5.5, thin over `catalogue_store`:
reads for viewers, writes for editors. Offers and channels have the same five endpoints,
made by one function."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from cpol.server import catalogue_store
from cpol.server.bodies import Body, read_json
from cpol.server.catalogue_store import CHANNELS, OFFERS, Kind
from cpol.server.schemas import ChannelPage, OfferPage, StoredChannel, StoredOffer
from cpol.server.web import ERRORS, Editor, Limit, Viewer, engine_of, json_body, json_object

router = APIRouter(tags=["catalogue"])


def _endpoints(kind: Kind[Any], path: str, stored: type[BaseModel], page: type[BaseModel]) -> None:
    one = f"{path}/{{item_id}}"
    answers = {200: {"model": stored}, **ERRORS}

    @router.get(path, response_model=None, responses={200: {"model": page}, **ERRORS}, summary=f"List {path}")
    def list_entries(
        request: Request, who: Viewer, limit: Limit = 25, cursor: str | None = None
    ) -> JSONResponse:
        """Ordered by id; keyset pagination as for contact policies."""
        listed = catalogue_store.list_page(engine_of(request), who.tenant_id, kind, limit, cursor or None)
        return JSONResponse(listed.answer())

    @router.get(one, response_model=None, responses=answers, summary=f"Get one of {path}")
    def get_entry(request: Request, who: Viewer, item_id: str) -> JSONResponse:
        return JSONResponse(catalogue_store.get(engine_of(request), who.tenant_id, kind, item_id))

    @router.put(
        one, response_model=None, responses={201: {"model": stored}, **answers},
        openapi_extra=json_body(kind.fields), summary=f"Create or replace one of {path}",
    )  # fmt: skip
    def put_entry(
        request: Request, who: Editor, item_id: str, body: Annotated[Body, Depends(read_json)]
    ) -> JSONResponse:
        """201 when it creates the entry, 200 when it replaces it."""
        entry, created = catalogue_store.put(
            engine_of(request), who.tenant_id, kind, item_id, json_object(body)
        )
        return JSONResponse(entry, status_code=201 if created else 200)

    @router.delete(
        one, status_code=204, response_class=Response, responses=ERRORS, summary=f"Delete one of {path}"
    )
    def delete_entry(request: Request, who: Editor, item_id: str) -> Response:
        catalogue_store.delete(engine_of(request), who.tenant_id, kind, item_id)
        return Response(status_code=204)


_endpoints(OFFERS, "/offers", StoredOffer, OfferPage)
_endpoints(CHANNELS, "/channels", StoredChannel, ChannelPage)

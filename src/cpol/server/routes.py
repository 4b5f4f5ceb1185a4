"""The contact-policy endpoints of SPEC §5.3, thin over `policies`.

Routes answer the stored JSON as it is (`JSONResponse`), so nothing is re-serialised or
reordered; the models in `schemas` are declared for OpenAPI only. Bodies are read by
`bodies` (JSON or `.cpol`), so the request schemas are declared in `openapi_extra`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

import cpol
from cpol.server import policies, sync
from cpol.server.bodies import CPOL, Body, read_json, read_policy_body
from cpol.server.errors import ApiError, ErrorDetail
from cpol.server.keys import Principal
from cpol.server.schemas import Deleted, History, ImportPlan, PolicyPage, StoredPolicy
from cpol.server.web import ERRORS, Admin, Limit, Viewer, engine_of, json_object

router = APIRouter(prefix="/contact-policies", tags=["contact policies"])
POLICY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "a policy (SPEC §1)"}},
            CPOL: {"schema": {"type": "string", "description": "one `policy` block"}},
        },
    }
}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "description": "policies (SPEC §1)"}},
            CPOL: {"schema": {"type": "string", "description": "a `.cpol` file"}},
        },
    }
}
UPDATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "{id, version?, …fields}"}}
        },
    }
}


def _policy_fields(body: Body) -> dict[str, Any]:
    """A policy's fields from JSON, or from one `policy` block of `.cpol` text (which may
    `use` only the standard library: the text has no file, so no server file is reachable)."""
    if body.media_type != CPOL:
        return json_object(body)
    found = policies.compiled(body.text)
    if len(found) != 1:
        raise ApiError(400, f"the text must hold exactly one policy block, not {len(found)}")
    return found[0].to_json()


@router.get("", response_model=None, responses={200: {"model": PolicyPage}, **ERRORS})
def list_policies(
    request: Request,
    who: Viewer,
    limit: Limit = 25,
    cursor: str | None = None,
    includeDeleted: bool = False,
    status: str | None = None,
    ruleType: str | None = None,
    scope: str | None = None,
) -> JSONResponse:
    filters = policies.Filters(status, ruleType, scope, includeDeleted)
    page = policies.list_page(engine_of(request), who.tenant_id, filters, limit, cursor or None)
    return JSONResponse(page.answer())


@router.post(
    "", status_code=201, response_model=None, responses={201: {"model": StoredPolicy}, **ERRORS},
    openapi_extra=POLICY_BODY,
)  # fmt: skip
def create_policy(
    request: Request, who: Admin, body: Annotated[Body, Depends(read_policy_body)]
) -> JSONResponse:
    return JSONResponse(policies.create(engine_of(request), who, _policy_fields(body)), status_code=201)


@router.get(
    "/export", response_model=None,
    responses={200: {"model": list[StoredPolicy], "content": {CPOL: {}}}, **ERRORS},
)  # fmt: skip
def export_policies(request: Request, who: Viewer) -> Response:
    """Declared before `/{policy_id}`, which would otherwise take `export` for an id."""
    documents = policies.live_documents(engine_of(request), who.tenant_id)
    if CPOL in request.headers.get("accept", ""):
        return PlainTextResponse(cpol.to_cpol(cpol.load_json(documents)), media_type=CPOL)
    return JSONResponse(documents)


@router.post(
    "/import", response_model=None, responses={200: {"model": ImportPlan}, **ERRORS},
    openapi_extra=IMPORT_BODY,
)  # fmt: skip
def import_policies(
    request: Request,
    who: Admin,
    body: Annotated[Body, Depends(read_policy_body)],
    dryRun: bool = False,
    prune: bool = False,
) -> JSONResponse:
    plan = sync.import_policies(engine_of(request), who, body, dry_run=dryRun, prune=prune)
    return JSONResponse(plan.answer())


def _update(request: Request, who: Principal, body: Body, path_id: str | None) -> JSONResponse:
    changes = json_object(body)
    given = changes.get("id")
    if path_id is not None and given is not None and given != path_id:
        raise ApiError(400, "the body's id is not the path's id")
    policy_id = path_id or given
    if not isinstance(policy_id, str) or not policy_id:
        raise ApiError(400, "the body must carry the policy's id")
    return JSONResponse(policies.update(engine_of(request), who, policy_id, changes))


@router.put(
    "", response_model=None, responses={200: {"model": StoredPolicy}, **ERRORS}, openapi_extra=UPDATE_BODY
)
def update_policy(request: Request, who: Admin, body: Annotated[Body, Depends(read_json)]) -> JSONResponse:
    return _update(request, who, body, None)


@router.put(
    "/{policy_id}", response_model=None, responses={200: {"model": StoredPolicy}, **ERRORS},
    openapi_extra=UPDATE_BODY,
)  # fmt: skip
def update_policy_by_id(
    request: Request, who: Admin, policy_id: str, body: Annotated[Body, Depends(read_json)]
) -> JSONResponse:
    return _update(request, who, body, policy_id)


@router.delete("", response_model=Deleted, responses=ERRORS)
def delete_policy(request: Request, who: Admin, id: str | None = None) -> Deleted:
    """Soft delete; a warning for each decision flow that uses the policy."""
    if not id:
        raise ApiError(400, "the request is invalid", [ErrorDetail(path="id", message="required")])
    return Deleted(deleted=True, warnings=policies.delete(engine_of(request), who, id))


@router.get(
    "/{policy_id}", response_model=None,
    responses={200: {"model": StoredPolicy, "content": {CPOL: {}}}, **ERRORS},
)  # fmt: skip
def get_policy(request: Request, who: Viewer, policy_id: str) -> Response:
    document = policies.get(engine_of(request), who.tenant_id, policy_id)
    if CPOL in request.headers.get("accept", ""):
        text = cpol.to_cpol(cpol.load_json(document))
        return PlainTextResponse(text, media_type=CPOL)
    return JSONResponse(document)


@router.get("/{policy_id}/history", response_model=None, responses={200: {"model": History}, **ERRORS})
def policy_history(request: Request, who: Viewer, policy_id: str) -> JSONResponse:
    return JSONResponse({"data": policies.history(engine_of(request), who.tenant_id, policy_id)})

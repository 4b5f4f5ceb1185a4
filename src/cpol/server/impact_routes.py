"""`POST /contact-policies/impact-preview` (SPEC §6.3), thin over `impact`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cpol.server import impact
from cpol.server.bodies import Body, read_json
from cpol.server.decide import Service
from cpol.server.schemas import CapPreview, ImpactPreview, PolicyPreview, ReplayImpact
from cpol.server.web import ERRORS, Viewer, json_body, json_object

router = APIRouter(prefix="/contact-policies", tags=["contact policies"])


@router.post(
    "/impact-preview", response_model=None,
    responses={200: {"model": ImpactPreview | ReplayImpact}, **ERRORS},
    openapi_extra=json_body(CapPreview | PolicyPreview),
)  # fmt: skip
def impact_preview(request: Request, who: Viewer, body: Annotated[Body, Depends(read_json)]) -> JSONResponse:
    """The seed's form (`policyType`, `config`…) or any policy (`{"policy": …}`), replayed
    over a sample of the tenant's customers with and without it."""
    service: Service = request.app.state.decide
    return JSONResponse(impact.preview(service, who.tenant_id, json_object(body)))

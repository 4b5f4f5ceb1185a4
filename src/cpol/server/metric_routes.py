"""The behavioral-metric endpoints of SPEC §7, thin over `metrics`: definitions (writes for
admins, who also write the policies that read them) and a customer's values, for people
asking why a `metric_condition` policy blocked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from cpol.server import metrics, suppressions
from cpol.server.bodies import Body, read_json
from cpol.server.clock import now as clock_now
from cpol.server.metrics import CustomerMetrics, MetricFields, MetricPage, StoredMetric
from cpol.server.schemas import Stamp
from cpol.server.web import ERRORS, Admin, Limit, Viewer, engine_of, json_body, json_object

router = APIRouter(tags=["metrics"])
ONE = "/metrics/{metric_id}"
ANSWERS = {200: {"model": StoredMetric}, **ERRORS}


@router.get("/metrics", response_model=None, responses={200: {"model": MetricPage}, **ERRORS})
def list_metrics(request: Request, who: Viewer, limit: Limit = 25, cursor: str | None = None) -> JSONResponse:
    """Ordered by id; keyset pagination as for contact policies."""
    return JSONResponse(metrics.list_page(engine_of(request), who.tenant_id, limit, cursor or None).answer())


@router.get(ONE, response_model=None, responses=ANSWERS)
def get_metric(request: Request, who: Viewer, metric_id: str) -> JSONResponse:
    return JSONResponse(metrics.get(engine_of(request), who.tenant_id, metric_id))


@router.put(
    ONE, response_model=None, responses={201: {"model": StoredMetric}, **ANSWERS},
    openapi_extra=json_body(MetricFields),
)  # fmt: skip
def put_metric(
    request: Request, who: Admin, metric_id: str, body: Annotated[Body, Depends(read_json)]
) -> JSONResponse:
    """201 when it creates the metric, 200 when it replaces it (whole)."""
    metric, created = metrics.put(engine_of(request), who.tenant_id, metric_id, json_object(body))
    return JSONResponse(metric, status_code=201 if created else 200)


@router.delete(ONE, status_code=204, response_class=Response, responses=ERRORS)
def delete_metric(request: Request, who: Admin, metric_id: str) -> Response:
    metrics.delete(engine_of(request), who.tenant_id, metric_id)
    return Response(status_code=204)


CUSTOMER_ANSWERS = {200: {"model": CustomerMetrics}, **ERRORS}


@router.get("/customers/{customerId}/metrics", response_model=None, responses=CUSTOMER_ANSWERS)
def customer_metrics(
    request: Request, who: Viewer, customerId: str, now: Annotated[Stamp | None, Query()] = None
) -> JSONResponse:
    """Each metric's value for the customer at `now` (default: the server's clock), as
    decide computes them; a rate over no interactions is left out, as decide leaves it."""
    customer = suppressions.customer_id(customerId)
    answer = metrics.of_customer(engine_of(request), who.tenant_id, customer, now or clock_now())
    return JSONResponse(answer)

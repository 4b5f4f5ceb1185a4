"""Behavioral metrics (SPEC §7): definitions stored under the client's id, and their values
for one customer, computed from the interactions stored for it.

A metric counts the interactions of one `outcome` in the rolling window of its last
`windowDays` days, or gives their rate: per interaction of the outcome `per`, or, without
`per`, per interaction of any outcome. The window is the engine's (SPEC §2.1):
`now − windowDays × 24 h < timestamp ≤ now`. A rate over no interactions has no value and
is left out: a missing metric never blocks a `metric_condition` policy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, Engine, Select, bindparam, case, cast, func, select
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Session

from cpol.plan.fields import MAX_DAYS
from cpol.runtime.clock import parse_instant
from cpol.server.catalogue import is_catalogue_id
from cpol.server.clock import now as clock_now
from cpol.server.clock import stamp
from cpol.server.database import fast_rows, in_chunks, insert_new, transaction
from cpol.server.errors import ApiError, ErrorDetail, not_found
from cpol.server.fields import parsed
from cpol.server.models import Interaction, Metric
from cpol.server.paging import Key, Keyset, Page
from cpol.server.schemas import Id, Name, Pagination, Written

Document = dict[str, Any]
ID_RULE = "must be 1–255 characters, not only spaces, none of them a control character"


def is_metric_id(value: object) -> bool:
    """An id a policy's `metricId` can name (the compiler refuses a blank one) and a column
    can hold (no control character, at most 255 characters)."""
    return is_catalogue_id(value) and bool(value.strip())


def _window_days(value: object) -> int:
    """A whole number of days (a JSON integer), at most the engine's longest duration."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
        raise PydanticCustomError("window_days", f"must be a whole number of days from 1 to {MAX_DAYS:,}")
    return value


WindowDays = Annotated[
    int, PlainValidator(_window_days, json_schema_input_type=Annotated[int, Field(ge=1, le=MAX_DAYS)])
]
Aggregate = Literal["count", "rate"]


class MetricFields(Written):
    """A metric as written; `per` (rate only) is the outcome the rate is per."""

    name: Name
    outcome: Id
    windowDays: WindowDays
    aggregate: Aggregate
    per: Id | None = None

    @field_validator("per")
    @classmethod
    def _per_is_for_rates(cls, per: str | None, info: ValidationInfo) -> str | None:
        if per is not None and info.data.get("aggregate") == "count":
            raise PydanticCustomError("per", 'is only for aggregate "rate" (a count is per nothing)')
        return per


class StoredMetric(BaseModel):
    id: str
    name: str
    outcome: str
    windowDays: int
    aggregate: Aggregate
    per: str | None = None
    createdAt: str
    updatedAt: str


class MetricPage(BaseModel):
    data: list[StoredMetric]
    pagination: Pagination


class CustomerMetrics(BaseModel):
    """Every metric's value for the customer at `now`; a rate over no interactions is absent."""

    customerId: str
    now: str
    data: dict[str, float]


# -- definitions ----------------------------------------------------------------------------
KEYSET = Keyset((Key(Metric.id, False, is_metric_id),))


def _document(row: Metric) -> Document:
    document: Document = json.loads(row.document)
    return document


def _found(session: Session, tenant: str, metric_id: str, *, lock: bool = False) -> Metric | None:
    """The metric, or None (an id no metric can have included: never even asked for)."""
    if not is_metric_id(metric_id):
        return None
    query = select(Metric).where(Metric.tenant_id == tenant, Metric.id == metric_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def _row(session: Session, tenant: str, metric_id: str, *, lock: bool = False) -> Metric:
    row = _found(session, tenant, metric_id, lock=lock)
    if row is None:
        raise not_found("metric")
    return row


def put(engine: Engine, tenant: str, metric_id: str, fields: Document) -> tuple[Document, bool]:
    """Create or replace the metric whole; whether it was created. Of concurrent creates of
    one id, the key lets one create and the others replace it."""
    if not is_metric_id(metric_id):
        raise ApiError(400, "the metric is invalid", [ErrorDetail(path="id", message=ID_RULE)])
    written = parsed(MetricFields, fields, "metric", metric_id).model_dump(exclude_none=True)
    at = clock_now()
    document = {"id": metric_id, **written, "createdAt": at, "updatedAt": at}
    text = json.dumps(document, ensure_ascii=False)
    with transaction(engine, write=True) as session:
        row = _found(session, tenant, metric_id, lock=True)
        if row is None and insert_new(
            session, Metric, {"tenant_id": tenant, "id": metric_id, "document": text, "updated_at": at}
        ):
            return document, True
        row = row or _row(session, tenant, metric_id, lock=True)
        document["createdAt"] = _document(row)["createdAt"]
        row.document = json.dumps(document, ensure_ascii=False)
        row.updated_at = at
        return document, False


def get(engine: Engine, tenant: str, metric_id: str) -> Document:
    with transaction(engine) as session:
        return _document(_row(session, tenant, metric_id))


def delete(engine: Engine, tenant: str, metric_id: str) -> None:
    """Policies naming the metric stay: to them it is missing, which never blocks."""
    with transaction(engine, write=True) as session:
        session.delete(_row(session, tenant, metric_id, lock=True))


def list_page(engine: Engine, tenant: str, limit: int, cursor: str | None) -> Page:
    """By id: the ids are the client's, as the catalogue's are."""
    with transaction(engine) as session:
        return KEYSET.page(session, Metric, Metric.tenant_id == tenant, limit, cursor, _document)


# -- values ---------------------------------------------------------------------------------
#: Counts of interactions by (outcome, window in days); outcome None: every outcome.
Counts = dict[tuple[str | None, int], int]


@dataclass(frozen=True)
class Definition:
    """What a stored metric computes."""

    id: str
    outcome: str
    days: int
    aggregate: str
    per: str | None

    @classmethod
    def of(cls, document: Document) -> Definition:
        days, aggregate = document["windowDays"], document["aggregate"]
        return cls(document["id"], document["outcome"], days, aggregate, document.get("per"))

    def value(self, counts: Counts) -> float | None:
        """The count, or the rate (None when nothing is there to divide by)."""
        found = counts.get((self.outcome, self.days), 0)
        if self.aggregate == "count":
            return found
        base = counts.get((self.per, self.days), 0)
        return found / base if base else None


def _outcome(dialect: str) -> ColumnElement[Any]:
    """The `outcome` of a stored interaction's JSON document, read by the database."""
    if dialect == "postgresql":
        outcome: ColumnElement[Any] = cast(Interaction.document, JSON)["outcome"].astext
        return outcome
    return func.json_extract(Interaction.document, "$.outcome")


def _after(at: datetime, days: int) -> str:
    """The stamp a timestamp must be after to be in the window; "" (every stamp is after
    it) when the window reaches back before year 1."""
    try:
        return stamp(at - timedelta(days=days))
    except OverflowError:
        return ""


@lru_cache(maxsize=64)
def _counting(dialect: str, windows: int) -> Select[Any]:
    """The counting query for `windows` windows, built once per shape: building a statement
    costs more than running it (decide runs one per call)."""
    outcome = _outcome(dialect)
    return (
        select(
            outcome,
            *(func.count(case((Interaction.timestamp > bindparam(f"after{i}"), 1))) for i in range(windows)),
        )
        .where(
            Interaction.tenant_id == bindparam("tenant"),
            Interaction.customer_id == bindparam("customer"),
            Interaction.timestamp <= bindparam("until"),
            Interaction.timestamp > bindparam("earliest"),
        )
        .group_by(outcome)
    )


def _counted(session: Session, tenant: str, customer: str, at: datetime, windows: Sequence[int]) -> Counts:
    """One query: the customer's interactions up to `at`, grouped by outcome, counted in
    each window. Stamps are compared as text (they sort as time); stamping truncates to
    milliseconds, which keeps both comparisons exact for stored (millisecond) stamps."""
    afters = [_after(at, days) for days in windows]
    query = _counting(session.get_bind().dialect.name, len(windows))
    parameters = {"tenant": tenant, "customer": customer, "until": stamp(at), "earliest": min(afters)}
    counts: Counts = {}
    rows = fast_rows(session, query, parameters | {f"after{i}": a for i, a in enumerate(afters)})
    for name, *numbers in rows:
        for days, number in zip(windows, numbers, strict=True):
            counts[name, days] = number
            counts[None, days] = counts.get((None, days), 0) + number
    return counts


def _instant(text: str) -> datetime | None:
    try:
        return parse_instant(text)
    except ValueError:
        return None


_DEFINITIONS = select(Metric.document).where(Metric.tenant_id == bindparam("tenant"))


def _definitions(session: Session, tenant: str) -> list[Definition]:
    rows = fast_rows(session, _DEFINITIONS, {"tenant": tenant})
    return [Definition.of(json.loads(document)) for (document,) in rows]


def values(session: Session, tenant_id: str, customer_id: str, now: str) -> dict[str, float]:
    """Every metric of the tenant for the customer at `now` (any ISO 8601 instant; one the
    engine cannot read gives none, and the engine reports it), for decide's §2 `customer`:
    one query for all of them (one per 500 distinct windows)."""
    at = _instant(now)
    metrics = _definitions(session, tenant_id)
    if at is None or not metrics:
        return {}
    counts: Counts = {}
    for windows in in_chunks(sorted({m.days for m in metrics})):
        counts |= _counted(session, tenant_id, customer_id, at, windows)
    return {m.id: v for m in metrics if (v := m.value(counts)) is not None}


def of_customer(engine: Engine, tenant: str, customer: str, now: str) -> Document:
    """`{customerId, now, data: {metricId: value}}`, for people: what decide would see."""
    with transaction(engine) as session:
        return {"customerId": customer, "now": now, "data": values(session, tenant, customer, now)}

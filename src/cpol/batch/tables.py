"""§2 requests as the batch inputs, in memory: the service's impact preview replays stored
customers through the same plan as `cpol batch`, without writing a file.

`from_requests` lays several customers' requests (one `now`) out as the five input tables;
`decide_requests` decides them on embedded DuckDB and gives each request its rows back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from cpol.batch.backend import ColumnKind
from cpol.batch.duckdb import DuckDBBackend
from cpol.batch.inputs import CANDIDATE_FIELDS, INTERACTION_FIELDS, Inputs
from cpol.batch.lowering import lower
from cpol.batch.run import check_inputs, customer_zones, decision_query, instant
from cpol.plan import Policy
from cpol.runtime.rules import figure

_TEXT = pa.string()
SCHEMAS: dict[str, pa.Schema] = {
    "interactions": pa.schema(
        [
            ("customerId", _TEXT),
            ("timestamp", _TEXT),
            ("outcome", _TEXT),
            *((f, _TEXT) for f in INTERACTION_FIELDS),
        ]
    ),
    "customers": pa.schema(
        [
            ("id", _TEXT),
            ("timezone", _TEXT),
            ("segments", pa.list_(_TEXT)),
            ("dnc", pa.list_(_TEXT)),
            ("consent", pa.map_(_TEXT, _TEXT)),
            ("metrics", pa.map_(_TEXT, pa.float64())),
        ]
    ),
    "candidates": pa.schema(
        [
            ("customerId", _TEXT),
            ("rank", pa.int64()),
            *((f, _TEXT) for f in CANDIDATE_FIELDS),
            ("isMandatory", pa.bool_()),
        ]
    ),
    "suppressions": pa.schema(
        [(name, _TEXT) for name in ("customerId", "id", "scope", "scopeId", "expiresAt")]
        + [("isActive", pa.bool_())]
    ),
    "budgets": pa.schema(
        [
            ("customerId", _TEXT),
            ("id", _TEXT),
            *((n, pa.float64()) for n in ("impressions", "spend", "daily_spend")),
        ]
    ),
}


def _double(value: Any) -> float | None:
    """A metric or budget as a DOUBLE, or missing where the online engine reads no number
    (`cpol.runtime.rules.figure`: text, a boolean, NaN, an infinity), which it treats alike."""
    number = figure(value)
    return None if number is None else float(number)


def _text_map(value: Any) -> list[tuple[str, str]]:
    return [(str(k), v) for k, v in value.items() if isinstance(v, str)] if isinstance(value, dict) else []


def _customer_row(customer: Mapping[str, Any]) -> dict[str, Any]:
    metrics = customer.get("metrics") or {}
    return {
        "id": customer["id"],
        "timezone": customer.get("timezone"),
        "segments": customer.get("segments"),
        "dnc": customer.get("dnc"),
        "consent": _text_map(customer.get("consent")),
        "metrics": [(k, number) for k, v in metrics.items() if (number := _double(v)) is not None],
    }


def from_requests(requests: Sequence[Mapping[str, Any]]) -> dict[str, pa.Table]:
    """The five inputs of some customers' requests (each customer once)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    for request in requests:
        cid = request["customer"]["id"]
        rows["customers"].append(_customer_row(request["customer"]))
        rows["interactions"] += [{**i, "customerId": cid} for i in request.get("interactions") or []]
        rows["candidates"] += [
            {**c, "customerId": cid, "rank": n} for n, c in enumerate(request["candidates"])
        ]
        rows["suppressions"] += [{**s, "customerId": cid} for s in request.get("suppressions") or []]
        rows["budgets"] += [
            {"customerId": cid, "id": key, **{k: _double(v) for k, v in (figures or {}).items()}}
            for key, figures in (request.get("budgets") or {}).items()
        ]
    return {name: pa.Table.from_pylist(found, schema=SCHEMAS[name]) for name, found in rows.items()}


def arrow_kind(kind: pa.DataType) -> ColumnKind:
    """An Arrow type as one of the kinds the lowering tells apart."""
    checks: tuple[tuple[Any, ColumnKind], ...] = (
        (pa.types.is_string, "string"),
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_map, "map"),
        (pa.types.is_list, "list"),
        (pa.types.is_struct, "struct"),
        (pa.types.is_timestamp, "timestamp"),
    )
    for check, name in checks:
        if check(kind):
            return name
    return "number" if pa.types.is_integer(kind) or pa.types.is_floating(kind) else "other"


def decide_requests(
    policies: Sequence[Policy], requests: Sequence[Mapping[str, Any]]
) -> list[list[dict[str, Any]]]:
    """Each request's rows (customerId, rank, offerId, channelId, allowed, blockedBy,
    blockedByName, eligibleAt), in candidate order; the requests share one `now`."""
    if not requests:
        return []
    tables = from_requests(requests)
    backend = DuckDBBackend()
    try:
        for name, table in tables.items():
            backend.register_arrow(f"raw_{name}", table)
        found = {
            name: (Path(f"<{name}>"), {f.name: arrow_kind(f.type) for f in t.schema})
            for name, t in tables.items()
        }
        inputs = Inputs.resolve(*(found[name] for name in SCHEMAS))
        check_inputs(backend, inputs)
        plan = lower(policies, instant(requests[0]["now"]), inputs, customer_zones(backend, inputs))
        decided = backend.fetch(decision_query(backend, plan, explain=False)).to_pylist()
    finally:
        backend.close()
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for row in decided:
        by_customer.setdefault(row["customerId"], []).append(row)
    return [by_customer.get(request["customer"]["id"], []) for request in requests]

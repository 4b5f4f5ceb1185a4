"""Some customers of a population as SPEC §2 requests, for the online engine's explain.

The batch output says what was decided; a marketer asking why reads the trace of the same
customer's request, rebuilt here from the same three inputs (on embedded DuckDB).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from cpol.batch.backend import Backend
from cpol.batch.duckdb import DuckDBBackend
from cpol.batch.inputs import (
    CANDIDATE_FIELDS,
    CONSENT_PREFIX,
    INTERACTION_FIELDS,
    Inputs,
    budgets_query,
    candidates_query,
    customers_query,
    instant,
)
from cpol.batch.run import read_inputs


def _of(query: exp.Select, column: str, ids: Sequence[str]) -> exp.Select:
    """The rows of `query` whose `column` is one of `ids`."""
    wanted = exp.In(this=exp.column(column, quoted=True), expressions=[exp.Literal.string(i) for i in ids])
    return exp.select("*").from_(query.subquery("q")).where(wanted)


def _interactions(backend: Backend, inputs: Inputs, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    table = inputs.interactions
    text = exp.DataType.build("VARCHAR")
    fields = [
        exp.alias_(exp.cast(table.column(name), text), name, quoted=True)
        for name in ("customerId", "outcome", *INTERACTION_FIELDS)
    ]
    query = exp.select(*fields, exp.alias_(instant(table), "at", quoted=True)).from_(table.view)
    found: dict[str, list[dict[str, Any]]] = {}
    for row in backend.fetch(_of(query, "customerId", ids)).to_pylist():
        at = row.pop("at")
        interaction = {k: v for k, v in row.items() if v is not None and k != "customerId"}
        interaction["timestamp"] = _iso(at)
        found.setdefault(row["customerId"], []).append(interaction)
    return found


def _customer(row: dict[str, Any]) -> dict[str, Any]:
    """A customers row as §2's `customer`: maps read as Arrow's (key, value) pairs."""
    customer: dict[str, Any] = {"id": row["id"]}
    for name in ("timezone", "segments", "dnc"):
        if row.get(name) is not None:
            customer[name] = row[name]
    for name in ("consent", "metrics"):
        value = row.get(name)
        if value is not None:
            customer[name] = dict(value) if isinstance(value, list) else value
    consent = {k[len(CONSENT_PREFIX) :]: v for k, v in row.items() if k.startswith(CONSENT_PREFIX) and v}
    if consent:
        customer["consent"] = consent
    return customer


def _candidates(backend: Backend, inputs: Inputs, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    query = _of(candidates_query(inputs.candidates), "customerId", ids)
    ordered = query.order_by(exp.column("customerId", quoted=True), exp.column("rank", quoted=True))
    found: dict[str, list[dict[str, Any]]] = {}
    for row in backend.fetch(ordered).to_pylist():
        candidate = {k: row[k] for k in (*CANDIDATE_FIELDS, "isMandatory") if row[k] is not None}
        found.setdefault(row["customerId"], []).append(candidate)
    return found


def _suppressions(backend: Backend, inputs: Inputs, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each customer's suppression records as §2 writes them (every record: the engine
    decides which are active)."""
    found: dict[str, list[dict[str, Any]]] = {}
    if inputs.suppressions is None:
        return found
    table = inputs.suppressions
    text = exp.DataType.build("VARCHAR")
    fields = [
        exp.alias_(exp.cast(table.column(n), text), n, quoted=True)
        for n in ("customerId", "id", "scope", "scopeId")
    ]
    active = exp.alias_(table.column("isActive"), "isActive", quoted=True)
    query = exp.select(
        *fields, active, exp.alias_(instant(table, "expiresAt"), "expires", quoted=True)
    ).from_(table.view)
    for row in backend.fetch(_of(query, "customerId", ids)).to_pylist():
        expires = row.pop("expires")
        record = {k: v for k, v in row.items() if v is not None and k != "customerId"}
        if expires is not None:
            record["expiresAt"] = _iso(expires)
        found.setdefault(row["customerId"], []).append(record)
    return found


def _budgets(backend: Backend, inputs: Inputs, ids: Sequence[str]) -> dict[str | None, dict[str, Any]]:
    """The budgets by customer (None: everyone's, when the file has no customerId)."""
    found: dict[str | None, dict[str, Any]] = {}
    if inputs.budgets is None:
        return found
    for row in backend.fetch(budgets_query(inputs.budgets)).to_pylist():
        figures = {k: row[k] for k in ("impressions", "spend", "daily_spend") if row[k] is not None}
        found.setdefault(row["customerId"], {})[row["id"]] = figures
    return found


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def customer_requests(
    *,
    interactions: str | Path,
    customers: str | Path,
    candidates: str | Path,
    now: str | datetime,
    customer_ids: Sequence[str],
    suppressions: str | Path | None = None,
    budgets: str | Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Each customer's §2 request (JSON-ready), by customer id; a customer with no candidate
    row is left out (there is nothing to decide for them)."""
    moment = now.astimezone(UTC).isoformat().replace("+00:00", "Z") if isinstance(now, datetime) else now
    backend = DuckDBBackend()
    try:
        optional = (None if p is None else Path(p) for p in (suppressions, budgets))
        inputs = read_inputs(backend, Path(interactions), Path(customers), Path(candidates), *optional)
        ids = list(customer_ids)
        records = _suppressions(backend, inputs, ids)
        spent = _budgets(backend, inputs, ids)
        offers = _candidates(backend, inputs, ids)
        history = _interactions(backend, inputs, ids)
        rows = backend.fetch(_of(customers_query(inputs.customers, inputs.consent_columns), "id", ids))
        known = {row["id"]: _customer(row) for row in rows.to_pylist()}
    finally:
        backend.close()
    return {
        cid: {
            "now": moment,
            "customer": known.get(cid, {"id": cid}),
            "interactions": history.get(cid, []),
            "candidates": offers[cid],
            "suppressions": records.get(cid, []),
            "budgets": spent.get(cid, spent.get(None, {})),
        }
        for cid in ids
        if cid in offers
    }

"""Sample customers for each kind of flip and policy, explained by the online engine.

The batch tables say *that* a row flipped; a reader wants to see *why*. For each kind of
flip and each policy it is counted against, the K customers with the most such rows (then
by id, so the choice is stable) are decided again by `cpol.Engine` in explain mode from
their SPEC §2 request, under the old set and the new one; the report shows the flipped
rows' decisions and traces. A customer picked for several groups is decided once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cpol.batch.whatif import FLIP_KINDS, ROW_KEY, Aligned, FlipKind, Sample, SampleGroup, SampleRow
from cpol.plan import Policy
from cpol.runtime import Engine

#: Fetches the SPEC §2 requests of these customers (`cpol.batch.customer_requests`, bound to the inputs).
RequestsOf = Callable[[Sequence[str]], Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class Pick:
    """The customers chosen for one kind of flip and one policy."""

    kind: FlipKind
    policy_id: str | None
    policy_name: str | None
    customers: list[str]


def pick(aligned: Aligned, k: int) -> list[Pick]:
    """Up to `k` customers per kind of flip and policy: the most flipped rows first, then by id."""
    if k <= 0:
        return []
    picks = []
    for kind in FLIP_KINDS:
        per_customer = (
            aligned.flipped(kind)
            .group_by(["policyId", "policyName", "customerId"])
            .aggregate([([], "count_all")])
        )
        for policy_id, policy_name in _policies(per_customer):
            mine = per_customer.filter(_of_policy(per_customer, policy_id, policy_name))
            top = mine.sort_by([("count_all", "descending"), ("customerId", "ascending")]).slice(0, k)
            picks.append(Pick(kind, policy_id, policy_name, top["customerId"].to_pylist()))
    return picks


def _policies(table: pa.Table) -> list[tuple[str | None, str | None]]:
    pairs = table.group_by(["policyId", "policyName"]).aggregate([]).to_pylist()
    return sorted(((p["policyId"], p["policyName"]) for p in pairs), key=lambda p: (p[0] or "", p[1] or ""))


def _of_policy(table: pa.Table, policy_id: str | None, policy_name: str | None) -> pa.ChunkedArray:
    return pc.and_(_is(table["policyId"], policy_id), _is(table["policyName"], policy_name))


def _is(column: pa.ChunkedArray, value: str | None) -> pa.ChunkedArray:
    """`column == value`, null equal to null: the gates' and unnamed policies' keys may be null."""
    if value is None:
        return pc.is_null(column)
    return pc.fill_null(pc.equal(column, value), False)


def explain(
    aligned: Aligned,
    picks: Sequence[Pick],
    requests_of: RequestsOf,
    old: Sequence[Policy],
    new: Sequence[Policy],
) -> list[SampleGroup]:
    """Each pick's customers with their flipped rows decided online under both sets."""
    wanted = sorted({customer for p in picks for customer in p.customers})
    if not wanted:
        return []
    position = _positions(aligned, wanted)
    requests = requests_of(wanted)
    engines = (Engine(old), Engine(new))
    decided: dict[str, list[list[dict[str, Any]]]] = {}

    def decisions(customer: str) -> list[list[dict[str, Any]]]:
        if customer not in decided:
            request = dict(requests[customer])
            decided[customer] = [
                [d.to_json() for d in engine.decide_json(request, explain=True)] for engine in engines
            ]
        return decided[customer]

    groups = []
    for p in picks:
        flipped = _flipped_rows(aligned, p)
        samples = []
        for customer in p.customers:
            old_d, new_d = decisions(customer)
            rows = [
                SampleRow(
                    rank=r["rank"],
                    offerId=r["offerId"],
                    channelId=r["channelId"],
                    old=old_d[position[_key(r)]],
                    new=new_d[position[_key(r)]],
                )
                for r in flipped.get(customer, [])
            ]
            segments = requests[customer].get("customer", {}).get("segments") or []
            samples.append(Sample(customerId=customer, segments=[str(s) for s in segments], rows=rows))
        groups.append(
            SampleGroup(kind=p.kind, policyId=p.policy_id, policyName=p.policy_name, samples=samples)
        )
    return groups


def _key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in ROW_KEY)


def _in(table: pa.Table, customers: Sequence[str]) -> pa.ChunkedArray:
    return pc.is_in(table["customerId"], pa.array(customers, pa.string()))


def _sorted_rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.sort_by([(column, "ascending") for column in ROW_KEY]).to_pylist()
    return rows


def _positions(aligned: Aligned, customers: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """Each row of these customers and its index among the customer's rows in ROW_KEY order,
    which is its candidate's position in the customer's request (candidates in rank order)."""
    out: dict[tuple[Any, ...], int] = {}
    seen: dict[str, int] = {}
    for row in _sorted_rows(aligned.table.filter(_in(aligned.table, customers))):
        index = seen.get(row["customerId"], 0)
        out[_key(row)] = index
        seen[row["customerId"]] = index + 1
    return out


def _flipped_rows(aligned: Aligned, p: Pick) -> dict[str, list[dict[str, Any]]]:
    """The pick's customers' rows of its kind of flip counted against its policy."""
    rows = aligned.flipped(p.kind)
    mine = pc.and_(_in(rows, p.customers), _of_policy(rows, p.policy_id, p.policy_name))
    out: dict[str, list[dict[str, Any]]] = {}
    for row in _sorted_rows(rows.filter(mine)):
        out.setdefault(row["customerId"], []).append(row)
    return out

"""The hybrid pass for mutual exclusion (SPEC §1: "allowed earlier in this request").

Whether an exclusive offer is blocked depends on the final decisions of the customer's
earlier candidates, a chain no set-based query expresses. The plan decides every other
policy in SQL and marks, per row, the exclusive policies that are live for it (`m<n>`);
this pass walks only the customers with two offers of one group, in rank order, exactly as
the online engine does, and returns the rows whose decision it changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from cpol.batch.lowering import Step, policy_key

#: The corrections' columns (eligibleAt is always null: a mutual-exclusion block never lifts by time).
CORRECTION_SCHEMA = pa.schema(
    [
        ("customerId", pa.string()),
        ("rank", pa.float64()),
        ("blockedBy", pa.string()),
        ("blockedByName", pa.string()),
        ("blockedByAll", pa.list_(pa.string())),
    ]
)


def _customers(rows: pa.Table) -> Iterator[list[dict[str, Any]]]:
    """The rows (sorted by customer, then rank) one customer at a time."""
    current: list[dict[str, Any]] = []
    for row in rows.to_pylist():
        if current and row["customerId"] != current[0]["customerId"]:
            yield current
            current = []
        current.append(row)
    if current:
        yield current


def settle(rows: pa.Table, exclusive: Sequence[Step], ids: Mapping[int, str]) -> pa.Table:
    """The rows whose decision mutual exclusion changes, with their blocks merged in order.

    `rows` carry customerId, rank, offerId, blockedBy, blockedByName, `_positions` (the SQL
    blocks' evaluation positions, negative for the gates) and `m<n>`; `ids` maps a position
    to what blockedByAll calls it."""
    changed: list[dict[str, Any]] = []
    groups = [(step, frozenset(step.group)) for step in exclusive]
    for customer_rows in _customers(rows):
        allowed: dict[str, int] = {}
        for row in customer_rows:
            offer = row["offerId"]
            conflicts = {
                step.position: step
                for step, group in groups
                if row[step.exclusive] and any(other != offer and other in group for other in allowed)
            }
            positions = sorted([*row["_positions"], *conflicts])
            if not positions:
                allowed.setdefault(offer, len(allowed))
            elif conflicts:
                first = conflicts.get(positions[0])
                changed.append(
                    {
                        "customerId": row["customerId"],
                        "rank": float(row["rank"]),
                        "blockedBy": policy_key(first.policy) if first else row["blockedBy"],
                        "blockedByName": first.policy.name if first else row["blockedByName"],
                        "blockedByAll": [ids[p] for p in positions],
                    }
                )
    return pa.Table.from_pylist(changed, schema=CORRECTION_SCHEMA)


def position_ids(steps: Sequence[Step]) -> dict[int, str]:
    """What blockedByAll calls each evaluation position (negative: the gates)."""
    return {-2: "consent", -1: "suppression", **{s.position: policy_key(s.policy) for s in steps}}

"""The what-if comparison against a direct Python count over random pairs of decided tables.

Every figure of the report (totals, by policy, offer, channel, segment, contacts per
customer) is recomputed row by row here and must equal the vectorised comparison, whatever
order the engine returned each table in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpol.batch.whatif import (
    Aligned,
    MismatchedTables,
    align,
    by_group,
    by_policy,
    contacts,
    totals,
    with_segments,
)

BLOCKERS = [("cp_1", "Cap"), ("cp_2", "Quiet <hours>"), ("consent", "consent"), (None, "Unnamed")]
SEGMENTS = ["s1", "s2", "s3"]


@st.composite
def verdicts(draw: st.DrawFn) -> tuple[bool, str | None, str | None]:
    if draw(st.booleans()):
        return True, None, None
    return (False, *draw(st.sampled_from(BLOCKERS)))


@st.composite
def populations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]]]:
    """Old rows, new rows (the same candidate rows, shuffled), and each customer's segments."""
    old: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    customers = draw(st.lists(st.sampled_from([f"c{n}" for n in range(6)]), unique=True, max_size=6))
    for customer in customers:
        for rank in range(1, draw(st.integers(1, 4)) + 1):
            row = {
                "customerId": customer,
                "rank": rank,
                "offerId": draw(st.sampled_from(["o1", "o2", "o3"])),
                "channelId": draw(st.sampled_from(["email", "sms", None])),
            }
            for side in (old, new):
                allowed, by, name = draw(verdicts())
                side.append({**row, "allowed": allowed, "blockedBy": by, "blockedByName": name})
    segments = {c: draw(st.lists(st.sampled_from(SEGMENTS), max_size=3)) for c in customers}
    return old, draw(st.permutations(new)), segments


def table(rows: list[dict[str, Any]]) -> pa.Table:
    text = ("customerId", "offerId", "channelId", "blockedBy", "blockedByName")
    schema = pa.schema(
        [(name, pa.string()) for name in text] + [("rank", pa.int64()), ("allowed", pa.bool_())]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def aligned_of(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> Aligned:
    return align(table(old), table(new))


def pairs(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Old and new row of each candidate row, matched by hand."""
    by_key = {(r["customerId"], r["rank"]): r for r in new}
    return [(r, by_key[(r["customerId"], r["rank"])]) for r in old]


def newly_blocked(o: dict[str, Any], n: dict[str, Any]) -> bool:
    return bool(o["allowed"] and not n["allowed"])


def newly_allowed(o: dict[str, Any], n: dict[str, Any]) -> bool:
    return bool(n["allowed"] and not o["allowed"])


Pairs = list[tuple[dict[str, Any], dict[str, Any]]]


def flip(matched: Pairs, kind: Callable[[dict[str, Any], dict[str, Any]], bool]) -> dict[str, int]:
    hits = [o for o, n in matched if kind(o, n)]
    return {"rows": len(hits), "customers": len({o["customerId"] for o in hits})}


@given(populations())
def test_totals_equal_a_direct_count(population: tuple[Any, Any, Any]) -> None:
    old, new, _ = population
    matched = pairs(old, new)
    got = totals(aligned_of(old, new)).model_dump()
    blocked = [o for o, n in matched if newly_blocked(o, n)]
    allowed = [o for o, n in matched if newly_allowed(o, n)]
    changed = [
        o
        for o, n in matched
        if not o["allowed"]
        and not n["allowed"]
        and (o["blockedBy"], o["blockedByName"]) != (n["blockedBy"], n["blockedByName"])
    ]
    assert got == {
        "rows": len(old),
        "customers": len({r["customerId"] for r in old}),
        "allowedBefore": sum(r["allowed"] for r in old),
        "allowedAfter": sum(r["allowed"] for r in new),
        "newlyBlocked": flip(matched, newly_blocked),
        "newlyAllowed": flip(matched, newly_allowed),
        "offersNewlyBlocked": len({r["offerId"] for r in blocked}),
        "offersNewlyAllowed": len({r["offerId"] for r in allowed}),
        "blockerChanged": len(changed),
    }
    assert got["allowedAfter"] == got["allowedBefore"] - len(blocked) + len(allowed)


@given(populations())
def test_by_policy_counts_the_blocker_the_flip_is_about(population: tuple[Any, Any, Any]) -> None:
    old, new, _ = population
    expected: dict[tuple[str | None, str | None], dict[str, Any]] = defaultdict(
        lambda: {"newlyBlocked": [], "newlyAllowed": []}
    )
    for o, n in pairs(old, new):
        if newly_blocked(o, n):
            expected[(n["blockedBy"], n["blockedByName"])]["newlyBlocked"].append(o["customerId"])
        if newly_allowed(o, n):
            expected[(o["blockedBy"], o["blockedByName"])]["newlyAllowed"].append(o["customerId"])
    got = {
        (p.policyId, p.policyName): {
            "newlyBlocked": p.newlyBlocked.model_dump(),
            "newlyAllowed": p.newlyAllowed.model_dump(),
        }
        for p in by_policy(aligned_of(old, new))
    }
    assert got == {
        key: {kind: {"rows": len(ids), "customers": len(set(ids))} for kind, ids in kinds.items()}
        for key, kinds in expected.items()
    }


def grouped(
    matched: Pairs, keys_of: Callable[[dict[str, Any]], Iterable[str | None]]
) -> dict[str | None, Any]:
    """The GroupFlips fields per key, each row counted under every key `keys_of` gives it."""
    groups: dict[str | None, Pairs] = defaultdict(list)
    for o, n in matched:
        for key in keys_of(o):
            groups[key].append((o, n))
    return {
        key: {
            "key": key,
            "rows": len(rows),
            "customers": len({o["customerId"] for o, _ in rows}),
            "allowedBefore": sum(o["allowed"] for o, _ in rows),
            "allowedAfter": sum(n["allowed"] for _, n in rows),
            "newlyBlocked": flip(rows, newly_blocked),
            "newlyAllowed": flip(rows, newly_allowed),
        }
        for key, rows in groups.items()
    }


@pytest.mark.parametrize("column", ["offerId", "channelId"])
@given(population=populations())
def test_by_offer_and_channel_equal_a_direct_count(column: str, population: tuple[Any, Any, Any]) -> None:
    old, new, _ = population
    got = by_group(aligned_of(old, new), column)
    assert {g.key: g.model_dump() for g in got} == grouped(pairs(old, new), lambda row: [row[column]])
    moved = [g.newlyBlocked.rows + g.newlyAllowed.rows for g in got]
    assert moved == sorted(moved, reverse=True)  # the most flips first


@given(populations())
def test_by_segment_counts_a_row_in_each_of_its_customers_segments(population: tuple[Any, Any, Any]) -> None:
    old, new, segments = population
    aligned = aligned_of(old, new)
    pairs_table = pa.Table.from_pylist(
        [{"customerId": c, "segment": s} for c, listed in segments.items() for s in listed],
        schema=pa.schema([("customerId", pa.string()), ("segment", pa.string())]),
    )
    got = by_group(aligned, "segment", with_segments(aligned, pairs_table))

    def segments_of(row: dict[str, Any]) -> Iterable[str | None]:
        return sorted(set(segments[row["customerId"]])) or [None]

    assert {g.key: g.model_dump() for g in got} == grouped(pairs(old, new), segments_of)


@given(populations())
def test_contacts_per_customer_equal_a_direct_count(population: tuple[Any, Any, Any]) -> None:
    old, new, _ = population
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for o, n in pairs(old, new):
        before[o["customerId"]] += o["allowed"]
        after[n["customerId"]] += n["allowed"]
    customers = {r["customerId"] for r in old}
    got = contacts(aligned_of(old, new)).model_dump()

    def distribution(values: Iterable[int]) -> list[dict[str, int]]:
        return [{"value": v, "customers": c} for v, c in sorted(Counter(values).items())]

    for side, counts in (("before", before), ("after", after)):
        assert got[side]["total"] == sum(counts.values())
        assert got[side]["distribution"] == distribution(counts[c] for c in customers)
        assert got[side]["mean"] == pytest.approx(sum(counts.values()) / len(customers) if customers else 0.0)
    assert got["change"] == distribution(after[c] - before[c] for c in customers)


def test_tables_of_different_rows_are_refused() -> None:
    row = {"customerId": "c1", "rank": 1, "offerId": "o1", "channelId": None, "allowed": True}
    row |= {"blockedBy": None, "blockedByName": None}
    with pytest.raises(MismatchedTables):
        align(table([row]), table([{**row, "rank": 2}]))

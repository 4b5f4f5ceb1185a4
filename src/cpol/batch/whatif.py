"""The what-if comparison (SPEC §6.2): two decided tables of the same candidate rows, what flips.

Both tables are `cpol.batch.decide` outputs over the same candidates: one row per candidate
row with `customerId`, `rank`, `offerId`, `channelId`, `allowed`, `blockedBy`,
`blockedByName`. They are aligned row by row (sorted on the row's identity, so the order
each engine returned them in does not matter), and every count is a vectorised Arrow
group-by: the comparison costs a few passes over the rows, whatever the population.

A row *newly blocked* was allowed under the old set and is blocked under the new one; it is
counted against the policy (or gate) that blocks it first under the new set. A row *newly
allowed* is the reverse, counted against the policy that blocked it first under the old set:
in both cases the policy the change is about. A row blocked under both whose first blocker
changed is counted apart (`blockerChanged`), as it flips nothing a customer would see.

The models below are the JSON report (`cpol plan --format json`); docs/plan.md documents them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

#: The columns that say which candidate row a decided row is, in the order rows are aligned on.
ROW_KEY = ("customerId", "rank", "offerId", "channelId")
FlipKind = Literal["newlyBlocked", "newlyAllowed"]
FLIP_KINDS: tuple[FlipKind, ...] = ("newlyBlocked", "newlyAllowed")
#: The version of the JSON report's shape; it changes only when a field changes meaning or goes.
REPORT_VERSION = 1


class MismatchedTables(ValueError):
    """The two decided tables are not the same candidate rows (a bug upstream, not user input)."""


# The JSON report ---------------------------------------------------------------------------


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Flip(Model):
    """Candidate rows of one kind of flip, and the distinct customers they belong to."""

    rows: int = 0
    customers: int = 0


class Totals(Model):
    rows: int
    customers: int
    allowedBefore: int
    allowedAfter: int
    newlyBlocked: Flip
    newlyAllowed: Flip
    offersNewlyBlocked: int
    offersNewlyAllowed: int
    blockerChanged: int


class PolicyFlips(Model):
    """One policy's share of the flips; `policyId` is `consent`/`suppression` for the gates."""

    policyId: str | None
    policyName: str | None
    newlyBlocked: Flip
    newlyAllowed: Flip


class GroupFlips(Model):
    """One offer's, channel's or segment's rows: how many, how many allowed, what flipped."""

    key: str | None
    rows: int
    customers: int
    allowedBefore: int
    allowedAfter: int
    newlyBlocked: Flip
    newlyAllowed: Flip


class Count(Model):
    value: int
    customers: int


class Contacts(Model):
    """Allowed candidate rows per customer: the mean and how many customers have each count."""

    total: int
    mean: float
    distribution: list[Count]


class ContactsChange(Model):
    before: Contacts
    after: Contacts
    change: list[Count]  # value: after − before, per customer


class SampleRow(Model):
    """A flipped candidate row of a sample customer: its online decision under each set
    (SPEC §2 decision objects, trace included)."""

    rank: int
    offerId: str | None
    channelId: str | None
    old: dict[str, object]
    new: dict[str, object]


class Sample(Model):
    customerId: str
    segments: list[str]
    rows: list[SampleRow]


class SampleGroup(Model):
    """Up to K customers for one kind of flip and one policy, the most affected first."""

    kind: FlipKind
    policyId: str | None
    policyName: str | None
    samples: list[Sample]


class PolicySet(Model):
    sources: list[str]
    policies: int


class PlanReport(Model):
    """The what-if report: `cpol plan --format json`."""

    version: int = REPORT_VERSION
    now: str
    engine: str
    old: PolicySet
    new: PolicySet
    totals: Totals
    contactsPerCustomer: ContactsChange
    byPolicy: list[PolicyFlips]
    byOffer: list[GroupFlips]
    byChannel: list[GroupFlips]
    bySegment: list[GroupFlips]
    samples: list[SampleGroup]


# Aligning the two tables -------------------------------------------------------------------


@dataclass(frozen=True)
class Aligned:
    """Old and new decisions of the same rows side by side, with the flip masks."""

    table: pa.Table  # ROW_KEY, oldAllowed, newAllowed, oldBy, oldByName, newBy, newByName

    def mask(self, kind: FlipKind) -> pa.ChunkedArray:
        old, new = self.table["oldAllowed"], self.table["newAllowed"]
        if kind == "newlyBlocked":
            return pc.and_(old, pc.invert(new))
        return pc.and_(pc.invert(old), new)

    def flipped(self, kind: FlipKind) -> pa.Table:
        """The rows of one kind of flip, with the policy they count against as `policyId`/`policyName`."""
        side = "new" if kind == "newlyBlocked" else "old"
        rows = self.table.filter(self.mask(kind))
        return rows.append_column("policyId", rows[f"{side}By"]).append_column(
            "policyName", rows[f"{side}ByName"]
        )


def align(old: pa.Table, new: pa.Table) -> Aligned:
    """Both tables sorted on ROW_KEY; raises MismatchedTables unless they hold the same rows."""
    order = [(column, "ascending") for column in ROW_KEY]
    old, new = old.sort_by(order), new.sort_by(order)
    if old.num_rows != new.num_rows or any(not old[c].equals(new[c]) for c in ROW_KEY):
        raise MismatchedTables("the two decided tables do not hold the same candidate rows")
    columns = {column: old[column] for column in ROW_KEY}
    for side, table in (("old", old), ("new", new)):
        columns[f"{side}Allowed"] = pc.fill_null(table["allowed"], False)
        columns[f"{side}By"] = table["blockedBy"].cast(pa.string())
        columns[f"{side}ByName"] = table["blockedByName"].cast(pa.string())
    return Aligned(pa.table(columns))


# Counting ------------------------------------------------------------------------------------


def _distinct(values: pa.ChunkedArray) -> int:
    return int(pc.count_distinct(values, mode="only_valid").as_py())


def _flip(rows: pa.Table) -> Flip:
    return Flip(rows=rows.num_rows, customers=_distinct(rows["customerId"]))


def totals(aligned: Aligned) -> Totals:
    table = aligned.table
    blocked, allowed = aligned.flipped("newlyBlocked"), aligned.flipped("newlyAllowed")
    both_blocked = pc.invert(pc.or_(table["oldAllowed"], table["newAllowed"]))
    changed = pc.and_(both_blocked, pc.or_(_differ(table, "By"), _differ(table, "ByName")))
    return Totals(
        rows=table.num_rows,
        customers=_distinct(table["customerId"]),
        allowedBefore=_true(table["oldAllowed"]),
        allowedAfter=_true(table["newAllowed"]),
        newlyBlocked=_flip(blocked),
        newlyAllowed=_flip(allowed),
        offersNewlyBlocked=_distinct(blocked["offerId"]),
        offersNewlyAllowed=_distinct(allowed["offerId"]),
        blockerChanged=_true(changed),
    )


def _true(mask: pa.ChunkedArray) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def _differ(table: pa.Table, suffix: str) -> pa.ChunkedArray:
    """Old and new differ in `By` or `ByName`, a null differing from any text but not from null."""
    old, new = table[f"old{suffix}"], table[f"new{suffix}"]
    same = pc.if_else(pc.is_null(old), pc.is_null(new), pc.fill_null(pc.equal(old, new), False))
    return pc.invert(same)


#: Group-by aggregates: rows (`count_all`) and distinct customers (`customerId_count_distinct`).
_ROWS_AND_CUSTOMERS: list[tuple[object, str]] = [([], "count_all"), ("customerId", "count_distinct")]


def _counts(rows: pa.Table, keys: Sequence[str]) -> dict[tuple[object, ...], Flip]:
    """Rows and distinct customers per group of `keys`."""
    grouped = rows.group_by(list(keys)).aggregate(_ROWS_AND_CUSTOMERS)
    return {
        tuple(row[key] for key in keys): Flip(
            rows=row["count_all"], customers=row["customerId_count_distinct"]
        )
        for row in grouped.to_pylist()
    }


def by_policy(aligned: Aligned) -> list[PolicyFlips]:
    """Every policy some row flips for, the most flips first (then by id and name)."""
    keys = ("policyId", "policyName")
    blocked = _counts(aligned.flipped("newlyBlocked"), keys)
    allowed = _counts(aligned.flipped("newlyAllowed"), keys)
    out = [
        PolicyFlips(
            policyId=_text(key[0]),
            policyName=_text(key[1]),
            newlyBlocked=blocked.get(key, Flip()),
            newlyAllowed=allowed.get(key, Flip()),
        )
        for key in {**blocked, **allowed}
    ]
    return sorted(out, key=lambda p: (-_moved(p), p.policyId or "", p.policyName or ""))


def by_group(aligned: Aligned, column: str, table: pa.Table | None = None) -> list[GroupFlips]:
    """Every value of `column` (an offer, a channel, a segment), the most flips first.

    `table` is the aligned rows with `column` added when it is not one of theirs (segments).
    """
    rows = aligned.table if table is None else table
    keys = (column,)
    whole = rows.group_by(column).aggregate(
        [*_ROWS_AND_CUSTOMERS, ("oldAllowed", "sum"), ("newAllowed", "sum")]
    )
    masked = {kind: rows.filter(_mask_of(rows, kind)) for kind in FLIP_KINDS}
    flips = {kind: _counts(masked[kind], keys) for kind in FLIP_KINDS}
    out = [
        GroupFlips(
            key=_text(row[column]),
            rows=row["count_all"],
            customers=row["customerId_count_distinct"],
            allowedBefore=row["oldAllowed_sum"] or 0,
            allowedAfter=row["newAllowed_sum"] or 0,
            newlyBlocked=flips["newlyBlocked"].get((row[column],), Flip()),
            newlyAllowed=flips["newlyAllowed"].get((row[column],), Flip()),
        )
        for row in whole.to_pylist()
    ]
    return sorted(out, key=lambda g: (-_moved(g), g.key is None, g.key or ""))


def _mask_of(rows: pa.Table, kind: FlipKind) -> pa.ChunkedArray:
    return Aligned(rows).mask(kind)


def _moved(item: PolicyFlips | GroupFlips) -> int:
    return item.newlyBlocked.rows + item.newlyAllowed.rows


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def with_segments(aligned: Aligned, segments: pa.Table) -> pa.Table:
    """The aligned rows, once per segment of their customer (`segment` null for a customer in
    none). `segments` holds one (customerId, segment) pair per membership."""
    pairs = segments.select(["customerId", "segment"]).group_by(["customerId", "segment"]).aggregate([])
    return aligned.table.join(pairs, keys="customerId", join_type="left outer")


def contacts(aligned: Aligned) -> ContactsChange:
    """Allowed rows per customer under each set, and the change per customer."""
    table = aligned.table
    per_customer = table.group_by("customerId").aggregate([("oldAllowed", "sum"), ("newAllowed", "sum")])
    before, after = (
        pc.fill_null(per_customer[f"{side}Allowed_sum"], 0).cast(pa.int64()) for side in ("old", "new")
    )
    return ContactsChange(
        before=_contacts(before),
        after=_contacts(after),
        change=_distribution(pc.subtract(after, before)),
    )


def _contacts(values: pa.ChunkedArray) -> Contacts:
    total = int(pc.sum(values).as_py() or 0)
    return Contacts(
        total=total, mean=total / len(values) if len(values) else 0.0, distribution=_distribution(values)
    )


def _distribution(values: pa.ChunkedArray) -> list[Count]:
    counts = pc.value_counts(values).to_pylist()
    return sorted((Count(value=c["values"], customers=c["counts"]) for c in counts), key=lambda c: c.value)


def build(
    aligned: Aligned,
    segments: pa.Table,
    samples: list[SampleGroup],
    *,
    now: str,
    engine: str,
    old: PolicySet,
    new: PolicySet,
) -> PlanReport:
    """The whole report of two aligned tables; `segments` holds (customerId, segment) pairs."""
    return PlanReport(
        now=now,
        engine=engine,
        old=old,
        new=new,
        totals=totals(aligned),
        contactsPerCustomer=contacts(aligned),
        byPolicy=by_policy(aligned),
        byOffer=by_group(aligned, "offerId"),
        byChannel=by_group(aligned, "channelId"),
        bySegment=by_group(aligned, "segment", with_segments(aligned, segments)),
        samples=samples,
    )

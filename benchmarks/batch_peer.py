"""What a data engineer writes instead of cpol for benchmarks/batch_policies.cpol: one
hand-written DuckDB query over the same Parquet files, and the floor any batch decision
pays (one scan and aggregate over the interactions).

The peer knows its policy set by heart. It reads only the interactions any policy can see
(the last 30 days, none after now), aggregates them once per key kind — customer,
customer × channel, customer × offer, customer × category — with every policy reading
that key sharing the pass, computes each time zone's quiet-hours answer once, and joins
the lot onto the candidates. Timestamps are epoch microseconds; `max(t, n)` keeps the n
most recent of a window, so a cap of n blocks when that list is full and lifts when its
n-th entry leaves the window (SPEC §2.1). No cpol code is used. Like the generator's
populations, it assumes every candidate's customer is in the customers file.

The same columns as `cpol batch` (SPEC §6.1): customerId, rank, offerId, channelId,
allowed, blockedBy (first blocking policy in priority order, `consent` for the gate),
blockedByName, eligibleAt (the latest lift of every block; null if one never lifts by
time; rounded up to the second). tests/batch/test_bench_peer.py proves it row for row
against the online engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

import cpol
from batch_data import Inputs, literal, requests
from cpol.runtime.clock import format_instant

POLICIES = Path(__file__).with_name("batch_policies.cpol")
SECOND, HOUR, DAY = 1_000_000, 3_600_000_000, 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: A decided row's comparable part: (customerId, rank) -> (allowed, blockedBy, eligibleAt).
Rows = dict[tuple[str, int], tuple[bool, str | None, str | None]]


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB: UTC session, no progress bar, the thread count when given."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # a terminal's bar costs time the others do not pay
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _epoch_us(now: datetime) -> int:
    """Exact microseconds since 1970 (a float timestamp could be off by one)."""
    return (now - EPOCH) // timedelta(microseconds=1)


class Block(NamedTuple):
    """One block a row can have: its column in `blocks`, the policy (or gate) it reports, and
    whether time alone lifts it (then `<column>_at` says when)."""

    column: str
    policy_id: str
    name: str
    lifts: bool


#: Evaluation order: the consent gate, then the policies by priority.
BLOCKS = (
    Block("consent", "consent", "consent", False),
    Block("dnc", "bp_dnc", "Internal do-not-contact list", False),
    Block("segments", "bp_segments", "Minors and vulnerable customers", False),
    Block("quiet", "bp_quiet_hours", "SMS quiet hours", True),
    Block("rest", "bp_outcome_rest", "Rest each offer after a complaint or dismissal", True),
    Block("cap", "bp_channel_cap", "Email and SMS fatigue cap", True),
    Block("cooldown", "bp_cooldown", "Offer cooldown", True),
    Block("cross_cap", "bp_cross_channel", "Offer cross-channel cap", True),
    Block("customer", "bp_customer_cap", "Customer weekly budget", True),
    Block("cards", "bp_category_cap", "Credit card monthly cap", True),
    Block("category", "bp_category_rest", "Category rest", True),
)


def _first(report: Callable[[Block], str]) -> str:
    """What the first standing block of a row reports (its policy id, or its name)."""
    return "CASE " + " ".join(f"WHEN {b.column} THEN {literal(report(b))}" for b in BLOCKS) + " END"


def _lifts() -> str:
    """When each standing block lifts (NULL for those not standing): greatest() takes the latest."""
    return ", ".join(f"CASE WHEN {b.column} THEN {b.column}_at END" for b in BLOCKS if b.lifts)


def peer_query(inputs: Inputs, now: datetime) -> str:
    """The hand-written decision query for batch_policies.cpol at `now`."""
    t = _epoch_us(now)
    now_sql = f"make_timestamptz({t}::BIGINT)"
    customers = f"read_parquet({literal(str(inputs.customers))})"
    return f"""
WITH ix AS (  -- what any policy can see: at most 30 days old, nothing after now
  SELECT customerId, offerId, channelId, categoryId, offerCategory, campaignId, outcome,
         epoch_us(timestamp) AS t
  FROM read_parquet({literal(str(inputs.interactions))})
  WHERE timestamp <= {now_sql} AND timestamp > {now_sql} - INTERVAL 30 DAY
),
imp AS (SELECT * FROM ix WHERE outcome = 'impression'),
per_customer AS (
  SELECT customerId,
    max(t, 8) FILTER (WHERE t > {t - 7 * DAY}) AS week,                  -- customer cap 8 / week
    max(t, 4) FILTER (WHERE offerCategory = 'credit cards') AS cards      -- 4 / 30 days
  FROM imp WHERE t > {t - 7 * DAY} OR offerCategory = 'credit cards' GROUP BY customerId
),
per_channel AS (  -- email and SMS cap: 1 / day, 3 / week, service campaign left out
  SELECT customerId, channelId,
    max(t, 1) FILTER (WHERE t > {t - DAY}) AS day, max(t, 3) AS week
  FROM imp
  WHERE channelId IN ('ch_email', 'ch_sms') AND t > {t - 7 * DAY}
    AND campaignId IS DISTINCT FROM 'camp_service'
  GROUP BY ALL
),
per_offer AS (
  SELECT customerId, offerId,
    max(t) FILTER (WHERE outcome IN ('complaint', 'dismiss')) AS bad,     -- rest 30 days
    max(t) FILTER (WHERE outcome = 'impression' AND t > {t - 72 * HOUR}) AS shown,  -- cooldown
    max(t, 2) FILTER (WHERE outcome = 'impression' AND channelId IN ('ch_email', 'ch_sms', 'ch_push'))
      AS cross2                                                           -- 2 / week
  FROM ix
  WHERE outcome IN ('complaint', 'dismiss') OR (outcome = 'impression' AND t > {t - 7 * DAY})
  GROUP BY ALL
),
per_category AS (
  SELECT customerId, categoryId, max(t) AS shown FROM imp WHERE t > {t - 2 * DAY} GROUP BY ALL
),
zones AS (  -- SMS quiet hours, per time zone: open 9:00-20:00 Mon-Sat; when closed, the next opening
  SELECT zone, local,
    dayofweek(local) BETWEEN 1 AND 6 AND hour(local) BETWEEN 9 AND 19 AS open,
    (SELECT min(epoch_us(timezone(tz, day + INTERVAL 9 HOUR)))
       FROM (SELECT local::DATE + d::INTEGER AS day FROM range(16) r(d))
       WHERE dayofweek(day) BETWEEN 1 AND 6 AND day + INTERVAL 9 HOUR > local) AS opens
  FROM (SELECT zone, tz, timezone(tz, {now_sql}) AS local
        FROM (SELECT zone, CASE WHEN zone IN (SELECT name FROM pg_timezone_names()) THEN zone
                                ELSE 'UTC' END AS tz
              FROM (SELECT DISTINCT coalesce(timezone, '') AS zone FROM {customers})))
),
people AS (  -- what the policies read of a customer
  SELECT id, consent, coalesce(list_contains(dnc, 'internal_dnc'), false) AS dnc,
    coalesce(list_has_any(segments, ['seg_minors', 'seg_vulnerable']), false) AS segments, open, opens
  FROM {customers} JOIN zones ON zone = coalesce(timezone, '')
),
joined AS (
  SELECT k.customerId, k.rank, k.offerId, k.channelId,
    coalesce(k.isMandatory, false) AS mandatory,
    coalesce(c.consent[k.channelType] = 'opted_out', false) AS consent,
    c.dnc, c.segments, k.channelId = 'ch_sms' AND NOT c.open AS quiet, c.opens AS quiet_at,
    o.bad IS NOT NULL AS rest, o.bad + {30 * DAY} AS rest_at,
    coalesce(len(ch.day), 0) >= 1 AS cap_day, ch.day[1] + {DAY} AS cap_day_at,
    coalesce(len(ch.week), 0) >= 3 AS cap_week, ch.week[3] + {7 * DAY} AS cap_week_at,
    o.shown IS NOT NULL AS cooldown, o.shown + {72 * HOUR} AS cooldown_at,
    coalesce(len(o.cross2), 0) >= 2 AS cross_cap, o.cross2[2] + {7 * DAY} AS cross_cap_at,
    coalesce(len(pc.week), 0) >= 8 AS customer, pc.week[8] + {7 * DAY} AS customer_at,
    k.offerCategory = 'credit cards' AND coalesce(len(pc.cards), 0) >= 4 AS cards,
    pc.cards[4] + {30 * DAY} AS cards_at,
    g.shown IS NOT NULL AS category, g.shown + {2 * DAY} AS category_at
  FROM read_parquet({literal(str(inputs.candidates))}) k
  JOIN people c ON c.id = k.customerId
  LEFT JOIN per_customer pc ON pc.customerId = k.customerId
  LEFT JOIN per_channel ch ON ch.customerId = k.customerId AND ch.channelId = k.channelId
  LEFT JOIN per_offer o ON o.customerId = k.customerId AND o.offerId = k.offerId
  LEFT JOIN per_category g ON g.customerId = k.customerId AND g.categoryId = k.categoryId
),
blocks AS (  -- a mandatory candidate skips every bypassable rule but the caps of frequency and cross-channel
  SELECT customerId, rank, offerId, channelId, consent, dnc,
    segments AND NOT mandatory AS segments, quiet AND NOT mandatory AS quiet, quiet_at,
    rest, rest_at, cap_day OR cap_week AS cap,
    greatest(CASE WHEN cap_day THEN cap_day_at END, CASE WHEN cap_week THEN cap_week_at END) AS cap_at,
    cooldown AND NOT mandatory AS cooldown, cooldown_at, cross_cap, cross_cap_at,
    customer AND NOT mandatory AS customer, customer_at, cards AND NOT mandatory AS cards, cards_at,
    category AND NOT mandatory AS category, category_at
  FROM joined
)
SELECT customerId, rank, offerId, channelId, NOT ({" OR ".join(b.column for b in BLOCKS)}) AS allowed,
  {_first(attrgetter("policy_id"))} AS blockedBy, {_first(attrgetter("name"))} AS blockedByName,
  CASE WHEN {" OR ".join(b.column for b in BLOCKS if not b.lifts)} THEN NULL  -- never lift by time
    ELSE strftime(make_timestamp((greatest({_lifts()}) + {SECOND - 1}) // {SECOND} * {SECOND}),
                  '%Y-%m-%dT%H:%M:%SZ') END AS eligibleAt
FROM blocks"""


def floor_query(inputs: Inputs) -> str:
    """The least any batch decision does: read every interaction once, aggregate per customer."""
    return (
        "SELECT customerId, count(*) AS interactions, max(timestamp) AS lastAt "
        f"FROM read_parquet({literal(str(inputs.interactions))}) GROUP BY ALL"
    )


def write(con: duckdb.DuckDBPyConnection, query: str, output: Path) -> None:
    """Run `query` into a Parquet file, as `cpol batch -o OUT.parquet` writes its answer."""
    con.execute(f"COPY ({query}) TO {literal(str(output))} (FORMAT parquet)")


def rows(table: Iterable[dict[str, Any]]) -> Rows:
    """Decided rows (dicts with the §6.1 columns) keyed for comparison."""
    return {(r["customerId"], r["rank"]): (r["allowed"], r["blockedBy"], r["eligibleAt"]) for r in table}


def peer_rows(inputs: Inputs, now: datetime) -> Rows:
    with connect() as con:
        return rows(con.sql(peer_query(inputs, now)).to_arrow_table().to_pylist())


def online_rows(inputs: Inputs, now: datetime, limit: int | None = None) -> Rows:
    """The online engine's decisions (SPEC §2) on each customer's request, as batch rows."""
    engine = cpol.Engine(cpol.compile_files([POLICIES]))
    out: Rows = {}
    for customer, request in requests(inputs, now, limit):
        decisions = engine.decide_json(request)
        for candidate, decision in zip(request["candidates"], decisions, strict=True):
            first = decision.blocked_by[0] if decision.blocked_by else None
            blocked_by = None if first is None else first.policy_id or first.rule_type
            at = None if decision.eligible_at is None else format_instant(decision.eligible_at)
            out[customer, candidate["rank"]] = (decision.allowed, blocked_by, at)
    return out

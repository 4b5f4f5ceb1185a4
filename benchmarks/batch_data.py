"""The campaign benchmark's population (issue 13): customers, their histories and their
candidates as Parquet files in the shape SPEC §6.1 reads.

DuckDB writes the files from a seed. Each random draw is a hash of (row key, salt, seed)
rather than a step of a random stream, so the files are the same whatever the number of
threads, and no numpy is needed. A population is cached under build/bench-batch/ by size,
seed and generator version, written to a temporary folder and renamed, so an interrupted
run never leaves a half-written population behind.

Shape: per customer 0 to 50 interactions (25 on average) over the 90 days before `NOW`,
skewed towards recent days, mostly impressions (clicks, dismissals, conversions, a few
complaints), about half of them on a handful of favourite offers; a few stamped up to 90
minutes after `NOW` (clock skew, which every policy ignores); timestamps to the
millisecond. Five candidates per customer (rank 1 to 5) drawn from the same favourites,
2% mandatory. Customers carry a time zone (2% none), segments, do-not-contact lists (3%
on one), consent as a `consent` map keyed by channelType (`email`, `sms`, `push`; web has
no entry) and a `metrics` map.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "bench-batch"
#: Bumped whenever the generated data changes, so a cached population of an older shape is
#: never reused.
GENERATOR = 1
SEED = 13
NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)  # a Friday: 10:00 in New York, 23:00 in Tokyo
HISTORY_DAYS = 90
MAX_HISTORY = 50

# offerId: (categoryId, subCategoryId, offerCategory)
OFFERS: dict[str, tuple[str, str | None, str]] = {
    "off_cards_gold": ("cat_cards", "sub_gold", "credit cards"),
    "off_cards_platinum": ("cat_cards", "sub_gold", "credit cards"),
    "off_cards_cashback": ("cat_cards", "sub_cashback", "credit cards"),
    "off_cards_travel": ("cat_cards", "sub_travel", "credit cards"),
    "off_cards_student": ("cat_cards", "sub_student", "credit cards"),
    "off_loan_auto": ("cat_loans", "sub_auto", "loans"),
    "off_loan_personal": ("cat_loans", "sub_personal", "loans"),
    "off_loan_green": ("cat_loans", "sub_personal", "loans"),
    "off_mortgage_fixed": ("cat_mortgage", "sub_fixed", "mortgage"),
    "off_mortgage_variable": ("cat_mortgage", "sub_variable", "mortgage"),
    "off_mortgage_remortgage": ("cat_mortgage", "sub_fixed", "mortgage"),
    "off_savings_plus": ("cat_savings", None, "savings"),
    "off_savings_kids": ("cat_savings", None, "savings"),
    "off_savings_isa": ("cat_savings", "sub_isa", "savings"),
    "off_insurance_home": ("cat_insurance", "sub_home", "insurance"),
    "off_insurance_travel": ("cat_insurance", "sub_travel_ins", "insurance"),
    "off_insurance_life": ("cat_insurance", "sub_life", "insurance"),
    "off_invest_funds": ("cat_investments", "sub_funds", "investments"),
    "off_invest_pension": ("cat_investments", "sub_pension", "investments"),
    "off_welcome": ("cat_banking", None, "banking"),
    "off_app_upgrade": ("cat_banking", "sub_digital", "banking"),
    "off_overdraft": ("cat_banking", "sub_overdraft", "banking"),
}
# channelId: (channelType, share of the history, share of the candidates)
CHANNELS: dict[str, tuple[str, float, float]] = {
    "ch_email": ("email", 0.45, 0.40),
    "ch_sms": ("sms", 0.15, 0.20),
    "ch_push": ("push", 0.10, 0.10),
    "ch_web": ("web", 0.30, 0.30),
}
OUTCOMES: tuple[tuple[str, float], ...] = (
    ("impression", 0.85),
    ("click", 0.08),
    ("dismiss", 0.05),
    ("conversion", 0.017),
    ("complaint", 0.003),
)
CAMPAIGNS: tuple[tuple[str | None, float], ...] = (
    (None, 0.40),
    ("camp_spring", 0.25),
    ("camp_retention", 0.20),
    ("camp_service", 0.15),
)
TIMEZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Istanbul",
    "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip
#: segment: share of the customers in it
SEGMENTS: dict[str, float] = {
    "seg_active_email": 0.55,
    "seg_cardholders": 0.35,
    "seg_mortgage_prospects": 0.10,
    "seg_high_value": 0.08,
    "seg_minors": 0.01,
    "seg_vulnerable": 0.015,
}
#: do-not-contact lists: (lists, share of the customers)
DNC: tuple[tuple[tuple[str, ...], float], ...] = (
    ((), 0.97),
    (("internal_dnc",), 0.02),
    (("regulatory",), 0.007),
    (("internal_dnc", "regulatory"), 0.003),
)
#: channelType: share of the customers who opted out of it
OPTED_OUT: dict[str, float] = {"email": 0.03, "sms": 0.06, "push": 0.12}
NO_TIMEZONE = 0.02
SKEWED_CLOCK = 0.005
MANDATORY = 0.02
CANDIDATES = 5


@dataclass(frozen=True)
class Inputs:
    """The three input files of a population (SPEC §6.1)."""

    interactions: Path
    customers: Path
    candidates: Path

    @classmethod
    def at(cls, folder: Path) -> Inputs:
        return cls(
            folder / "interactions.parquet", folder / "customers.parquet", folder / "candidates.parquet"
        )


def literal(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _pick(draw: str, choices: Sequence[tuple[str, float]]) -> str:
    """A CASE choosing among SQL expressions by cumulative share of a uniform `draw`."""
    arms, bound = [], 0.0
    for expression, share in choices[:-1]:
        bound += share
        arms.append(f"WHEN {draw} < {bound!r} THEN {expression}")
    return f"CASE {' '.join(arms)} ELSE {choices[-1][0]} END"


def _strings(values: Sequence[str]) -> str:
    return "([" + ", ".join(literal(v) for v in values) + "]::VARCHAR[])"


def _catalogue(con: duckdb.DuckDBPyConnection) -> None:
    """The offers and channels as small tables numbered from 0, to draw from by index."""
    offers = ", ".join(
        f"({n}, {literal(o)}, {literal(c)}, {literal(s)}, {literal(k)})"
        for n, (o, (c, s, k)) in enumerate(OFFERS.items())
    )
    con.execute(
        "CREATE TEMP TABLE offers AS SELECT * FROM (VALUES "
        + offers
        + ") t(o, offerId, categoryId, subCategoryId, offerCategory)"
    )
    channels = ", ".join(
        f"({n}, {literal(c)}, {literal(t)})" for n, (c, (t, _, _)) in enumerate(CHANNELS.items())
    )
    con.execute(
        f"CREATE TEMP TABLE channels AS SELECT * FROM (VALUES {channels}) t(ch, channelId, channelType)"
    )


def _offer(key: str, salt: str) -> str:
    """An offer index: the customer's favourite offer plus an offset skewed towards 0, so each
    customer keeps coming back to a few neighbouring offers."""
    n = len(OFFERS)
    return f"(floor(rnd(i, 'favourite') * {n}) + floor(pow(rnd({key}, '{salt}'), 2) * {n}))::INT % {n}"


def _channel(key: str, salt: str, column: int) -> str:
    return _pick(
        f"rnd({key}, '{salt}')",
        [(str(n), shares[column]) for n, (_, *shares) in enumerate(CHANNELS.values())],
    )


def _creative(variants: int) -> str:
    """One of the offer's `variants` creatives on that channel: cr_<offer>_<channel>_<n>."""
    n = f"1 + floor(rnd(k, 'creative') * {variants})::INT"
    return f"'cr_' || substr(offerId, 5) || '_' || substr(channelId, 4) || '_' || ({n})"


def _customers_sql() -> str:
    segments = ", ".join(
        f"CASE WHEN rnd(i, {literal(s)}) < {share!r} THEN {literal(s)} END" for s, share in SEGMENTS.items()
    )
    opted = ", ".join(
        f"CASE WHEN rnd(i, 'consent {t}') < {share!r} THEN 'opted_out' ELSE 'opted_in' END"
        for t, share in OPTED_OUT.items()
    )
    zone = f"{_strings(TIMEZONES)}[1 + floor(rnd(i, 'zone') * {len(TIMEZONES)})::INT]"
    return f"""
        SELECT id,
          CASE WHEN rnd(i, 'no zone') < {NO_TIMEZONE!r} THEN NULL ELSE {zone} END AS timezone,
          list_filter([{segments}], lambda s: s IS NOT NULL) AS segments,
          {_pick("rnd(i, 'dnc')", [(_strings(lists), share) for lists, share in DNC])} AS dnc,
          MAP({_strings(list(OPTED_OUT))}, [{opted}]) AS consent,
          MAP(['met_complaint_rate', 'met_engagement'],
              [round(rnd(i, 'complaint rate') * 0.04, 4), round(rnd(i, 'engagement'), 3)]) AS metrics
        FROM people ORDER BY i"""


def _interactions_sql() -> str:
    now = literal(NOW.isoformat())
    span_ms = HISTORY_DAYS * 86_400_000
    outcome = _pick("rnd(k, 'outcome')", [(literal(o), share) for o, share in OUTCOMES])
    campaign = _pick("rnd(k, 'campaign')", [(literal(c), share) for c, share in CAMPAIGNS])
    return f"""
        WITH drawn AS (
          SELECT i, id AS customerId, i * {MAX_HISTORY + 1} + j AS k,
            {_offer("k", "offer")} AS o, {_channel("k", "channel", 0)} AS ch
          FROM people, range(n_history) r(j)
        )
        SELECT 'ih_' || k AS id, customerId,
          CASE WHEN rnd(k, 'skew') < {SKEWED_CLOCK!r}
            THEN TIMESTAMPTZ {now} + to_milliseconds(floor(rnd(k, 'at') * 5400000)::BIGINT + 1)
            ELSE TIMESTAMPTZ {now}
              - to_milliseconds(60000 + floor(pow(rnd(k, 'at'), 1.5) * {span_ms})::BIGINT)
          END AS timestamp,
          {outcome} AS outcome, offerId, channelId,
          {_creative(2)} AS creativeId,
          categoryId, subCategoryId, offerCategory, {campaign} AS campaignId
        FROM drawn JOIN offers USING (o) JOIN channels USING (ch)
        ORDER BY timestamp, id"""


def _candidates_sql() -> str:
    return f"""
        WITH drawn AS (
          SELECT i, id AS customerId, rank, i * 8 + rank AS k,
            {_offer("k", "candidate offer")} AS o, {_channel("k", "candidate channel", 1)} AS ch
          FROM people, range(1, {CANDIDATES + 1}) r(rank)
        )
        SELECT customerId, rank::INTEGER AS rank, offerId, channelId, channelType,
          {_creative(3)} AS creativeId,
          categoryId, subCategoryId, offerCategory, rnd(k, 'mandatory') < {MANDATORY!r} AS isMandatory
        FROM drawn JOIN offers USING (o) JOIN channels USING (ch)
        ORDER BY i, rank"""


def generate(folder: Path, customers: int, seed: int = SEED) -> Inputs:
    """Write a population of `customers` customers into `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = Inputs.at(folder)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"CREATE MACRO rnd(k, salt) AS hash(k, salt, {int(seed)}) / 18446744073709551616.0")
        _catalogue(con)
        con.execute(
            "CREATE TEMP TABLE people AS SELECT i, 'cust_' || lpad(i::VARCHAR, 7, '0') AS id, "
            f"floor(rnd(i, 'history') * {MAX_HISTORY + 1})::INT AS n_history "
            f"FROM range({int(customers)}) t(i)"
        )
        for path, query in (
            (inputs.customers, _customers_sql()),
            (inputs.interactions, _interactions_sql()),
            (inputs.candidates, _candidates_sql()),
        ):
            con.execute(f"COPY ({query}) TO {literal(str(path))} (FORMAT parquet, COMPRESSION zstd)")
    return inputs


def cached(customers: int, seed: int = SEED, cache: Path = CACHE) -> Inputs:
    """The population of that size and seed, generated on first use only."""
    folder = cache / f"v{GENERATOR}-{customers}-s{seed}"
    if not folder.is_dir():
        partial = cache / f".partial-{folder.name}-{os.getpid()}"
        generate(partial, customers, seed)
        partial.rename(folder)
    return Inputs.at(folder)


# -- the same population as SPEC §2 requests, one per customer --------------------------


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _by_customer(con: duckdb.DuckDBPyConnection, query: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in con.sql(query).to_arrow_table().to_pylist():
        out.setdefault(row.pop("customerId"), []).append(row)
    return out


def requests(inputs: Inputs, now: datetime, limit: int | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(customer id, its §2 request) for the first `limit` customers by id (all without a
    limit): what the online engine is asked for the same rows the batch decides. Candidates
    keep their `rank` (an unknown field, which the engine ignores)."""
    top = "" if limit is None else f"ORDER BY id LIMIT {int(limit)}"
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            f"CREATE TEMP TABLE chosen AS SELECT * FROM read_parquet({literal(str(inputs.customers))}) {top}"
        )
        history = _by_customer(
            con,
            f"SELECT * FROM read_parquet({literal(str(inputs.interactions))}) "
            "WHERE customerId IN (SELECT id FROM chosen) ORDER BY customerId, timestamp",
        )
        offers = _by_customer(
            con,
            f"SELECT * FROM read_parquet({literal(str(inputs.candidates))}) "
            "WHERE customerId IN (SELECT id FROM chosen) ORDER BY customerId, rank",
        )
        people = con.sql("SELECT * FROM chosen ORDER BY id").to_arrow_table().to_pylist()
    for person in people:
        customer = {
            "id": person["id"],
            "segments": person["segments"],
            "dnc": person["dnc"],
            "consent": dict(person["consent"]),
            "metrics": dict(person["metrics"]),
        }
        if person["timezone"] is not None:
            customer["timezone"] = person["timezone"]
        interactions = [
            {**item, "timestamp": _stamp(item["timestamp"])} for item in history.get(person["id"], [])
        ]
        yield (
            person["id"],
            {
                "now": _stamp(now),
                "customer": customer,
                "interactions": interactions,
                "candidates": offers.get(person["id"], []),
            },
        )

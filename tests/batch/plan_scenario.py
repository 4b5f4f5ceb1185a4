"""A small what-if scenario shared by the plan tests: two policy sets, six customers, and
their inputs both as SPEC §2 requests (for the online engine) and as §6.1 input files.

Old: an email cap of 1 a week, and SMS barred to segment `sms_off`. New: the email cap
raised to 2 a week, the segment bar dropped, SMS quiet hours 09:00–17:00 UTC added (now
is 20:00 UTC, so every SMS is outside them). So email rows flip to allowed (counted
against the old cap), SMS rows flip to blocked (counted against the quiet hours), and
the `sms_off` customers' SMS stays blocked by another policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import cpol
from cpol.plan import Policy
from cpol.runtime import Engine

NOW = "2026-03-20T20:00:00Z"

OLD_POLICIES: list[dict[str, Any]] = [
    {
        "id": "cp_email",
        "name": "Email weekly cap",
        "scope": "channel",
        "scopeId": "ch_email",
        "ruleType": "frequency_cap",
        "config": {"maxPerWeek": 1},
        "priority": 80,
    },
    {
        "id": "cp_sms_seg",
        "name": "No SMS to sms_off",
        "scope": "channel",
        "scopeId": "ch_sms",
        "ruleType": "segment_exclusion",
        "config": {"excludeSegments": ["sms_off"]},
        "priority": 70,
    },
]
NEW_POLICIES: list[dict[str, Any]] = [
    {**OLD_POLICIES[0], "config": {"maxPerWeek": 2}},
    {
        "id": "cp_quiet",
        "name": "SMS quiet hours",
        "scope": "channel",
        "scopeId": "ch_sms",
        "ruleType": "time_window",
        "config": {"startHour": 9, "endHour": 17, "timezone": "UTC"},
        "priority": 60,
    },
]

#: customer id: (segments, email impressions in the last week)
CUSTOMERS: dict[str, tuple[list[str], int]] = {
    "c1": (["vip"], 0),
    "c2": (["vip", "sms_off"], 1),
    "c3": ([], 1),
    "c4": (["sms_off"], 2),
    "c5": (["newcomer"], 1),
    "c6": ([], 0),
}
CANDIDATES = [("off_email", "ch_email", "email"), ("off_sms", "ch_sms", "sms")]


def policies(data: Sequence[Mapping[str, Any]]) -> list[Policy]:
    return cpol.load_json(json.dumps(list(data)))


def requests() -> dict[str, dict[str, Any]]:
    """Each customer's §2 request."""
    out = {}
    for customer, (segments, impressions) in CUSTOMERS.items():
        interactions = [
            {
                "id": f"{customer}_i{n}",
                "timestamp": f"2026-03-{18 - n:02d}T10:00:00Z",
                "outcome": "impression",
                "offerId": "off_email",
                "channelId": "ch_email",
            }
            for n in range(impressions)
        ]
        candidates = [
            {"offerId": o, "channelId": c, "channelType": t, "isMandatory": False} for o, c, t in CANDIDATES
        ]
        out[customer] = {
            "now": NOW,
            "customer": {"id": customer, "segments": segments},
            "interactions": interactions,
            "candidates": candidates,
        }
    return out


def decided(policy_set: Sequence[Policy], population: Mapping[str, Mapping[str, Any]]) -> pa.Table:
    """The batch output's columns for the population, decided by the online engine."""
    engine = Engine(policy_set)
    rows = []
    for customer, request in population.items():
        for rank, decision in enumerate(engine.decide_json(dict(request)), start=1):
            first = decision.blocked_by[0] if decision.blocked_by else None
            rows.append(
                {
                    "customerId": customer,
                    "rank": rank,
                    "offerId": decision.candidate.offerId,
                    "channelId": decision.candidate.channelId,
                    "allowed": decision.allowed,
                    "blockedBy": None if first is None else first.policy_id or first.rule_type,
                    "blockedByName": None if first is None else first.policy_name,
                }
            )
    return pa.Table.from_pylist(rows)


def write_inputs(folder: Path) -> tuple[Path, Path, Path]:
    """The population as the three Parquet inputs of SPEC §6.1: interactions, customers, candidates."""
    population = requests()
    interactions = [
        {"customerId": customer, **i} for customer, r in population.items() for i in r["interactions"]
    ]
    customers = [{"id": customer, "segments": segments} for customer, (segments, _) in CUSTOMERS.items()]
    candidates = [
        {"customerId": customer, "rank": rank, **candidate}
        for customer, r in population.items()
        for rank, candidate in enumerate(r["candidates"], start=1)
    ]
    schemas = {
        "interactions": pa.schema(
            [(k, pa.string()) for k in ("customerId", "id", "timestamp", "outcome", "offerId", "channelId")]
        ),
        "customers": pa.schema([("id", pa.string()), ("segments", pa.list_(pa.string()))]),
        "candidates": pa.schema(
            [("customerId", pa.string()), ("rank", pa.int64())]
            + [(k, pa.string()) for k in ("offerId", "channelId", "channelType")]
            + [("isMandatory", pa.bool_())]
        ),
    }
    paths = []
    for name, rows in (("interactions", interactions), ("customers", customers), ("candidates", candidates)):
        path = folder / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=schemas[name]), path)
        paths.append(path)
    return paths[0], paths[1], paths[2]

"""The shapes §6.1 allows for the same facts decide alike: metrics as a map or a struct,
consent as a map or consent_<channelType> columns, instants as timestamps, ISO text or
epoch seconds, an input as one file or a directory of Parquet files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cpol
from cpol.batch import BatchInputError, decide

NOW = "2026-03-20T14:00:00Z"
POLICIES = cpol.load_json(
    [
        {
            "name": "risk",
            "scope": "global",
            "ruleType": "metric_condition",
            "config": {"metricId": "risk", "operator": "gt", "threshold": 0.5},
        },
        {"name": "cap", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerDay": 1}},
    ]
)
STAMPS = ["2026-03-20T09:00:00Z", "2026-03-18T09:00:00Z"]  # c1's: one in the last day; c2's: none


def _write(folder: Path, customers: pa.Table, interactions: pa.Table) -> dict[str, Path]:
    candidates = [
        {"customerId": c, "rank": 1, "offerId": "off_a", "channelType": "sms"} for c in ("c1", "c2", "c3")
    ]
    paths = {
        "interactions": folder / "i.parquet",
        "customers": folder / "c.parquet",
        "candidates": folder / "k.parquet",
    }
    pq.write_table(interactions, paths["interactions"])
    pq.write_table(customers, paths["customers"])
    pq.write_table(pa.Table.from_pylist(candidates), paths["candidates"])
    return paths


def _rows(paths: dict[str, Path]) -> list[tuple[str, bool, str | None]]:
    table = decide(POLICIES, now=NOW, **paths)  # type: ignore[call-overload]
    return [(r["customerId"], r["allowed"], r["blockedBy"]) for r in table.to_pylist()]


def _interactions(stamps: list[Any], kind: pa.DataType) -> pa.Table:
    return pa.table(
        {
            "customerId": ["c1", "c2"],
            "timestamp": pa.array(stamps, kind),
            "outcome": ["impression", "impression"],
        }
    )


EXPECTED = [("c1", False, "cap"), ("c2", False, "risk"), ("c3", True, None)]


@pytest.mark.parametrize(
    "metrics",
    [
        pa.array([[("risk", 0.1)], [("risk", 0.9)], []], pa.map_(pa.string(), pa.float64())),
        # a struct: its fields are the metrics; text is no number (c3's passes)
        pa.array([{"risk": 0.1, "note": "a"}, {"risk": 0.9, "note": "b"}, {"risk": None, "note": "x"}]),
    ],
    ids=["map", "struct"],
)
def test_metrics_as_a_map_or_a_struct(tmp_path: Path, metrics: pa.Array) -> None:
    customers = pa.table({"id": ["c1", "c2", "c3"], "metrics": metrics})
    assert _rows(_write(tmp_path, customers, _interactions(STAMPS, pa.string()))) == EXPECTED


def test_consent_as_columns(tmp_path: Path) -> None:
    customers = pa.table({"id": ["c1", "c2", "c3"], "consent_sms": ["opted_in", None, "opted_out"]})
    rows = _rows(_write(tmp_path, customers, _interactions(STAMPS, pa.string())))
    assert rows == [("c1", False, "cap"), ("c2", True, None), ("c3", False, "consent")]


@pytest.mark.parametrize("kind", ["timestamp", "epoch", "text"])
def test_instants_in_any_shape(tmp_path: Path, kind: str) -> None:
    moments = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in STAMPS]
    shapes: dict[str, list[Any]] = {
        "timestamp": list(moments),
        "epoch": [m.astimezone(UTC).timestamp() for m in moments],
        "text": list(STAMPS),
    }
    stamps = shapes[kind]
    arrow = {"timestamp": pa.timestamp("us", tz="UTC"), "epoch": pa.float64(), "text": pa.string()}[kind]
    customers = pa.table({"id": ["c1", "c2", "c3"]})
    rows = _rows(_write(tmp_path, customers, _interactions(stamps, arrow)))
    assert rows == [("c1", False, "cap"), ("c2", True, None), ("c3", True, None)]


def test_a_directory_of_parquet_files_is_one_input(tmp_path: Path) -> None:
    customers = pa.table({"id": ["c1", "c2", "c3"]})
    paths = _write(tmp_path, customers, _interactions(STAMPS, pa.string()))
    folder = tmp_path / "interactions"
    (folder / "day=1").mkdir(parents=True)
    table = pq.read_table(paths["interactions"])
    pq.write_table(table.slice(0, 1), folder / "day=1" / "part-0.parquet")
    pq.write_table(table.slice(1), folder / "part-1.parquet")
    paths["interactions"] = folder
    assert _rows(paths) == [("c1", False, "cap"), ("c2", True, None), ("c3", True, None)]


def test_csv_customers_carry_lists_and_maps_as_json(tmp_path: Path) -> None:
    """A CSV cell holds JSON: segments and dnc as arrays, consent and metrics as objects."""
    rows = [
        "id,segments,dnc,consent,metrics",
        'c1,"[""vip""]",[],"{""sms"": ""opted_in""}","{""risk"": 0.1}"',
        'c2,[],[],{},"{""risk"": 0.9, ""note"": ""x""}"',
        'c3,,,"{""sms"": ""opted_out""}",',
    ]
    paths = _write(tmp_path, pa.table({"id": ["c1"]}), _interactions(STAMPS, pa.string()))
    paths["customers"] = tmp_path / "customers.csv"
    paths["customers"].write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _rows(paths) == [("c1", False, "cap"), ("c2", False, "risk"), ("c3", False, "consent")]


def test_malformed_json_in_a_csv_cell_is_one_line(tmp_path: Path) -> None:
    paths = _write(tmp_path, pa.table({"id": ["c1"]}), _interactions(STAMPS, pa.string()))
    paths["customers"] = tmp_path / "customers.csv"
    paths["customers"].write_text('id,metrics\nc1,"{risk"\n', encoding="utf-8")  # a policy reads it
    with pytest.raises(BatchInputError, match="an input value cannot be read"):
        _rows(paths)

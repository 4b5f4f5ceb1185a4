"""`cpol batch` as a user runs it: Parquet, CSV and JSON-lines outputs equal the online
engine's decisions; inputs in CSV and snake_case; bad inputs are one line and exit 1."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import cpol
from cpol.cli import cli
from tests.batch.population import write_population
from tests.batch.test_differential import online

NOW = "2026-03-20T14:00:00Z"
POLICIES = [
    {
        "id": "cp_cap",
        "name": "Weekly cap",
        "scope": "global",
        "ruleType": "frequency_cap",
        "config": {"maxPerWeek": 2},
    },
    {
        "id": "cp_rest",
        "name": "Rest",
        "scope": "global",
        "ruleType": "cooldown",
        "config": {"cooldownHours": 24},
    },
    {
        "id": "cp_vip",
        "name": "No VIPs",
        "scope": "global",
        "ruleType": "segment_exclusion",
        "config": {"excludeSegments": ["vip"]},
    },
    {
        "id": "cp_pair",
        "name": "One of a pair",
        "scope": "global",
        "ruleType": "mutual_exclusion",
        "config": {"excludeOfferIds": ["off_a", "off_b"]},
    },
]


def _impression(day: int, hour: int, offer: str) -> dict[str, Any]:
    return {"timestamp": f"2026-03-{day:02d}T{hour:02d}:00:00Z", "outcome": "impression", "offerId": offer}


POPULATION = [
    {
        "now": NOW,
        "customer": {"id": "c1", "segments": ["vip"], "consent": {"sms": "opted_out"}},
        "interactions": [_impression(20, 2, "off_a")],
        "candidates": [
            {"offerId": "off_a", "channelType": "sms"},
            {"offerId": "off_c", "channelType": "email"},
        ],
    },
    {
        "now": NOW,
        "customer": {"id": "c2", "timezone": "Europe/Paris"},
        "interactions": [_impression(14, 9, "off_c")],
        "candidates": [{"offerId": "off_a"}, {"offerId": "off_b"}, {"offerId": "off_c"}],
    },
    {"now": NOW, "customer": {"id": "c3"}, "interactions": [], "candidates": [{"offerId": "off_b"}]},
]
INPUTS = (
    "--interactions",
    "interactions.parquet",
    "--customers",
    "customers.parquet",
    "--candidates",
    "candidates.parquet",
)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_population(POPULATION, tmp_path)
    (tmp_path / "policies.json").write_text(json.dumps(POLICIES), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["batch", "policies.json", *INPUTS, "--now", NOW, *args])


def expected() -> list[dict[str, Any]]:
    return online(cpol.load_json(POLICIES), POPULATION)


def essentials(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("customerId", "rank", "allowed", "blockedBy", "eligibleAt")
    return [{k: row[k] for k in keep} for row in rows]


def test_json_lines_on_stdout_equal_the_online_engine(work: Path) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert essentials(rows) == expected()
    assert {"customerId", "offerId", "channelId", "blockedByName"} <= set(rows[0])
    assert any(row["blockedBy"] == "cp_pair" for row in rows)  # the mutual-exclusion pass ran


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_every_output_format_holds_the_same_rows(work: Path, suffix: str) -> None:
    result = run("-o", f"out{suffix}")
    assert result.exit_code == 0, result.output
    if suffix == ".parquet":
        rows = pq.read_table(work / "out.parquet").to_pylist()
    elif suffix == ".csv":
        nulls = pacsv.ConvertOptions(strings_can_be_null=True)
        rows = pacsv.read_csv(work / "out.csv", convert_options=nulls).to_pylist()
    else:
        rows = [json.loads(line) for line in (work / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert essentials(rows) == expected()


def test_explain_lists_every_block_and_csv_writes_it_as_json(work: Path) -> None:
    assert run("--explain", "-o", "out.csv").exit_code == 0
    with (work / "out.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]  # c1's sms offer: the consent gate, then the policies in evaluation order (id asc)
    assert json.loads(first["blockedByAll"]) == ["consent", "cp_rest", "cp_vip"]


def test_csv_inputs_in_snake_case(work: Path) -> None:
    table = pq.read_table(work / "candidates.parquet").select(["customerId", "rank", "offerId"])
    renamed = table.rename_columns(["customer_id", "rank", "offer_id"])
    pacsv.write_csv(renamed, work / "candidates.csv")
    result = CliRunner().invoke(
        cli, ["batch", "policies.json", *INPUTS[:4], "--candidates", "candidates.csv", "--now", NOW]
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--candidates", "customers.parquet"), "customers.parquet: no column customerId / rank / offerId"),
        (
            ("--customers", "missing.parquet"),
            "cannot read --customers missing.parquet: no such file or directory",
        ),
        (("--now", "yesterday"), "--now 'yesterday' is not an instant"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_1(work: Path, change: tuple[str, str], message: str) -> None:
    arguments = dict(zip(INPUTS[::2], INPUTS[1::2], strict=True)) | {"--now": NOW}
    arguments[change[0]] = change[1]
    result = CliRunner().invoke(cli, ["batch", "policies.json", *(x for kv in arguments.items() for x in kv)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_customer_given_twice_is_refused(work: Path) -> None:
    table = pq.read_table(work / "customers.parquet")
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), work / "customers.parquet")
    result = run()
    assert result.exit_code == 1
    assert "customer c1 appears twice" in result.output


def test_suppressions_and_budgets_are_gates_and_rules(work: Path) -> None:
    """A global suppression of c3, and off_c's budget spent: c3's only row is blocked by the
    gate (until its expiry), c2's off_c by the budget policy."""
    policies = [
        *POLICIES,
        {
            "id": "cp_budget",
            "name": "Budget",
            "scope": "global",
            "ruleType": "budget_exhausted",
            "config": {"budgetField": "spend", "threshold": 100},
        },
    ]
    (work / "policies.json").write_text(json.dumps(policies), encoding="utf-8")
    suppressions = [
        {"customerId": "c3", "id": "sup_1", "scope": "global", "expiresAt": "2026-03-25T00:00:00Z"}
    ]
    budgets = [{"id": "off_c", "spend": 150.0}]
    pq.write_table(pa.Table.from_pylist(suppressions), work / "suppressions.parquet")
    pq.write_table(pa.Table.from_pylist(budgets), work / "budgets.parquet")
    result = run("--suppressions", "suppressions.parquet", "--budgets", "budgets.parquet")
    assert result.exit_code == 0, result.output
    rows = {(r["customerId"], r["offerId"]): r for r in map(json.loads, result.stdout.splitlines())}
    assert rows[("c3", "off_b")]["blockedBy"] == "suppression"
    assert rows[("c3", "off_b")]["blockedByName"] == "suppression sup_1"
    assert rows[("c3", "off_b")]["eligibleAt"] == "2026-03-25T00:00:00Z"
    assert rows[("c2", "off_c")]["blockedBy"] == "cp_budget"


def test_a_memory_limit_decides_stage_by_stage_alike(work: Path) -> None:
    """--memory-limit keeps each stage as a table (so DuckDB can spill it): same rows."""
    result = run("--memory-limit", "64MB", "--explain")
    assert result.exit_code == 0, result.output
    assert essentials([json.loads(line) for line in result.stdout.splitlines()]) == expected()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--memory-limit", "lots"), "--memory-limit 'lots' is not a size"),
        (("--memory-limit", "1GB", "--engine", "spark"), "--memory-limit is DuckDB's"),
    ],
)
def test_a_bad_memory_limit_is_one_line(work: Path, arguments: tuple[str, ...], message: str) -> None:
    result = run(*arguments)
    assert result.exit_code == 1
    assert message in result.output

"""Campaign scale in one run, a step of `make demo`: a population of 2,000 customers is
written as Parquet, `cpol batch` decides every candidate row of it under
`all_rule_types.cpol`, and `cpol plan` shows what would flip if the email cap went from 3
to 1 per week (text here, an HTML report in FOLDER).

    python examples/batch_demo.py [FOLDER]

The customers are variations of `demo-request.json`'s (same catalogue, zones, segments),
drawn from a fixed seed, so every run shows the same figures.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from cpol.batch.tables import from_requests

EXAMPLES = Path(__file__).parent
NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
CUSTOMERS = 2000
ZONES = ("America/New_York", "Europe/London", "Asia/Tokyo", None)
OUTCOMES = ("impression",) * 8 + ("click", "dismiss", "complaint")


def _customer(rng: random.Random, index: int, template: dict[str, Any]) -> dict[str, Any]:
    """One customer's §2 request: the template's candidates, a history drawn from them."""
    offers = template["candidates"]
    history = []
    for _ in range(rng.randint(0, 12)):
        shown = dict(rng.choice(offers))
        shown.pop("channelType", None)
        shown.pop("isMandatory", None)
        at = NOW - timedelta(minutes=rng.randint(1, 30 * 24 * 60))
        history.append({**shown, "outcome": rng.choice(OUTCOMES), "timestamp": at.isoformat()})
    customer = dict(template["customer"], id=f"cust_{index:05d}", timezone=rng.choice(ZONES))
    customer["segments"] = rng.sample(["seg_active_email", "seg_cardholders", "seg_vip", "seg_new"], 2)
    customer["dnc"] = ["internal_dnc"] if rng.random() < 0.02 else []
    return {
        "now": NOW.isoformat(),
        "customer": customer,
        "interactions": history,
        "candidates": rng.sample(offers, 4),
    }


def write_population(folder: Path) -> dict[str, Path]:
    rng = random.Random(7)
    template = json.loads((EXAMPLES / "demo-request.json").read_text(encoding="utf-8"))
    population = [_customer(rng, index, template) for index in range(CUSTOMERS)]
    paths = {}
    for name, table in from_requests(population).items():
        if name in ("interactions", "customers", "candidates"):
            paths[name] = folder / f"{name}.parquet"
            pq.write_table(table, paths[name])
    return paths


def tighter_email_cap(folder: Path) -> Path:
    """all_rule_types.json with the email cap at 1 per week (the change `cpol plan` weighs)."""
    policies = json.loads((EXAMPLES / "all_rule_types.json").read_text(encoding="utf-8"))
    for policy in policies:
        if policy.get("id") == "cp_001":
            policy["config"]["maxPerWeek"] = 1
    path = folder / "tighter.json"
    path.write_text(json.dumps(policies, indent=2), encoding="utf-8")
    return path


def cpol(*args: str | Path) -> None:
    command = [str(Path(sys.executable).with_name("cpol")), *map(str, args)]
    print("$ cpol " + " ".join(os.path.relpath(a) if isinstance(a, Path) else a for a in args), flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "build/demo") / "batch"
    folder.mkdir(parents=True, exist_ok=True)
    paths = write_population(folder)
    inputs = [x for name, path in paths.items() for x in (f"--{name}", path)]
    decisions = folder / "decisions.parquet"
    cpol("batch", EXAMPLES / "all_rule_types.cpol", *inputs, "--now", NOW.isoformat(), "-o", decisions)
    rows = pq.read_table(decisions).to_pylist()
    first = Counter(row["blockedBy"] or "(allowed)" for row in rows)
    print(f"{len(rows)} candidate rows of {CUSTOMERS} customers; first blocker of each:")
    for name, count in first.most_common(6):
        print(f"  {count:5d}  {name}")
    new = tighter_email_cap(folder)
    cpol("plan", EXAMPLES / "all_rule_types.cpol", new, *inputs, "--now", NOW.isoformat(), "--samples", "1")
    report = folder / "plan.html"
    cpol(
        "plan",
        EXAMPLES / "all_rule_types.cpol",
        new,
        *inputs,
        "--now",
        NOW.isoformat(),
        "--format",
        "html",
        "-o",
        report,
    )
    print(f"what-if report: {report}")


if __name__ == "__main__":
    main()

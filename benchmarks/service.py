"""The service's decide under load (docs/performance.md, "The service").

A real `cpol serve` on 127.0.0.1 (SQLite file, or PostgreSQL with `--db URL`), the 25
policies of `examples/all_rule_types.json`, one customer with 200 stored interactions
(recorded through `POST /respond`), 10 candidates, explain off. With `--stored-customer`
the customer is instead a stored contact (SPEC §7) in 3 dynamic segments, 1 standard and 1
dnc list, with 2 metrics defined, and the request gives no `customer` fields: decide reads
them all from the database. `hey` (Debian's package) generates the load:

* **capacity**: 50 clients in a closed loop (`hey -c 50`: each sends its next request when
  the last is answered): the highest rate the server sustains, and the latency then;
* **latency at a given rate**: 50 independent clients (one `hey -c 1 -q R/50` each, started
  at random phases) sending `--rate` requests per second together (default 400).

The share of the server's CPU time in the engine, the database and the HTTP layer comes
from the server processes' CPU time during the capacity run (`/proc`), divided by the
decides answered, set against the same decide's phases timed in this process.

    python benchmarks/service.py [--db URL] [--workers 1 2] [--seconds 20] [--rate 400]
                                 [--stored-customer]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from cpol.runtime.render import decisions_json
from cpol.server import decide
from cpol.server.database import make_engine
from cpol.server.decision_log import LogWriter, Retention
from cpol.server.policy_sets import PolicySets

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CUSTOMER = "cust_bench"
NOW = datetime(2026, 3, 20, 14, tzinfo=UTC)
CLIENTS = 50
OUTCOMES = ["impression"] * 6 + ["click", "dismiss", "rejected"]
Json = dict[str, Any]


def _cpol(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def _call(base: str, key: str, method: str, path: str, body: object) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(db_url: str, workers: int, folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    log = (folder / f"serve-{workers}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cpol.cli",
            "serve",
            "--db",
            db_url,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    try:
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def candidates() -> list[Json]:
    """The demo request's 8 candidates and 2 more: 10, explain off."""
    given: list[Json] = json.loads((EXAMPLES / "demo-request.json").read_text())["candidates"]
    extra = [{**given[0], "channelId": "ch_sms", "channelType": "sms"}, {**given[2], "creativeId": "cr_m3"}]
    return given + extra


def history(customer: str, count: int = 200) -> list[Json]:
    """`count` interactions over the last 60 days on the candidates' offers."""
    rnd = random.Random(7)
    offers = candidates()
    out = []
    for _ in range(count):
        offer = rnd.choice(offers)
        at = NOW - timedelta(minutes=rnd.randint(60, 60 * 24 * 60))
        item: Json = {
            "customerId": customer,
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "outcome": rnd.choice(OUTCOMES),
            **{
                k: offer[k]
                for k in ("offerId", "channelId", "creativeId", "categoryId", "offerCategory")
                if k in offer
            },
        }
        out.append(item)
    return out


def decide_body(customer: str) -> Json:
    """The request: the demo's `customer` fields, unless the customer is a stored contact."""
    body: Json = {
        "customerId": customer,
        "now": NOW.isoformat().replace("+00:00", "Z"),
        "candidates": candidates(),
    }
    if customer == CUSTOMER:
        given = json.loads((EXAMPLES / "demo-request.json").read_text())["customer"]
        body["customer"] = {k: v for k, v in given.items() if k != "id"}
    return body


def _condition(field: str, op: str, value: object) -> Json:
    return {"all": [{"field": field, "op": op, "value": value}]}


STORED_SEGMENTS = [
    _condition("country", "eq", "FR"),
    _condition("tags", "contains", "vip"),
    {"any": [_condition("customFields.tier", "gte", 2), _condition("lifecycleStage", "eq", "customer")]},
]
STORED_METRICS = {
    "met_complaints": {"name": "Complaints", "outcome": "rejected", "windowDays": 30, "aggregate": "count"},
    "met_click_rate": {
        "name": "Click rate", "outcome": "click", "windowDays": 30, "aggregate": "rate", "per": "impression",
    },
}  # fmt: skip


def stored_customer(base: str, key: str) -> str:
    """A contact in 3 dynamic segments, a standard and a dnc list, with 2 metrics defined."""
    contact = {
        "email": "bench@example.com", "firstName": "Ada", "country": "FR", "lifecycleStage": "customer",
        "tags": ["vip"], "customFields": {"tier": 3}, "preferences": {"email": "opted_in"},
    }  # fmt: skip
    customer: str = _call(base, key, "POST", "/api/v1/contacts", contact)["id"]
    for number, rules in enumerate(STORED_SEGMENTS):
        _call(base, key, "POST", "/api/v1/contacts/segments", {"name": f"segment {number}", "rules": rules})
    for kind in ("standard", "dnc"):
        made = _call(base, key, "POST", "/api/v1/contacts/lists", {"name": f"{kind} list", "kind": kind})
        _call(base, key, "POST", f"/api/v1/contacts/lists/{made['id']}/members", {"contactIds": [customer]})
    for metric_id, metric in STORED_METRICS.items():
        _call(base, key, "PUT", f"/api/v1/metrics/{metric_id}", metric)
    return customer


def prepare(db_url: str, folder: Path, stored: bool) -> tuple[str, str, str]:
    """A tenant with the policies and the customer's history (the customer a stored contact
    when `stored`): its admin key, the tenant and the customer's id."""
    env = {**os.environ, "CPOL_DATABASE_URL": db_url}
    _cpol("db", "upgrade", env=env)
    tenant = f"bench_{secrets.token_hex(4)}"
    key = _cpol("keys", "create", "--tenant", tenant, "--role", "admin", "--name", tenant, env=env)
    with serving(db_url, 1, folder) as (base, _):
        _call(
            base,
            key,
            "POST",
            "/api/v1/contact-policies/import",
            json.loads((EXAMPLES / "all_rule_types.json").read_text()),
        )
        customer = stored_customer(base, key) if stored else CUSTOMER
        recorded = _call(base, key, "POST", "/api/v1/respond", {"interactions": history(customer)})
        assert len(recorded["interactions"]) == 200
    return key, tenant, customer


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children alive now (uvicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *_children(pid)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        for child in map(int, text):
            found += [child, *_children(child)]
    return found


def _hey_args(key: str, body_file: Path) -> list[str]:
    return [
        "-m",
        "POST",
        "-T",
        "application/json",
        "-H",
        f"Authorization: Bearer {key}",
        "-D",
        str(body_file),
    ]


def capacity(base: str, key: str, body_file: Path, seconds: int) -> Json:
    """50 clients in a closed loop (one `hey -c 50`): the rate the server sustains."""
    args = [
        "hey",
        "-z",
        f"{seconds}s",
        "-c",
        str(CLIENTS),
        *_hey_args(key, body_file),
        f"{base}/api/v1/decide",
    ]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": float(re.search(r"50% in ([\d.]+) secs", out).group(1)) * 1000,  # type: ignore[union-attr]
        "p99": float(re.search(r"99% in ([\d.]+) secs", out).group(1)) * 1000,  # type: ignore[union-attr]
        "statuses": {int(code): int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)},
    }


def at_rate(base: str, key: str, body_file: Path, seconds: int, rate: int) -> Json:
    """50 clients sending `rate` requests per second together, each on its own ticker and
    started at a random phase of it (one `hey -c 1 -q rate/50` each): independent clients,
    not 50 that fire at the same instants, as a single `hey -c 50 -q` does."""
    per_client = rate / CLIENTS
    clients = []
    for _ in range(CLIENTS):
        time.sleep(random.uniform(0, 1 / per_client / CLIENTS))
        args = ["hey", "-z", f"{seconds}s", "-c", "1", "-q", f"{per_client:g}", "-o", "csv"]
        clients.append(
            subprocess.Popen(
                [*args, *_hey_args(key, body_file), f"{base}/api/v1/decide"],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    latencies, statuses = [], Counter[int]()
    for client in clients:
        out, _ = client.communicate()
        for line in out.splitlines()[1:]:
            fields = line.split(",")
            latencies.append(float(fields[0]) * 1000)
            statuses[int(fields[6])] += 1
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "statuses": dict(statuses),
    }


def phases(db_url: str, tenant: str, body: Json, repeat: int = 300) -> dict[str, float]:
    """CPU milliseconds per decide of each phase, in this process, on the same database."""
    engine, sets = make_engine(db_url), PolicySets()
    service = decide.Service(engine, sets, LogWriter(engine, sets, Retention(30)))
    spent = {
        "database reads": 0.0,
        "reading the request": 0.0,
        "engine": 0.0,
        "answer JSON": 0.0,
        "log write": 0.0,
    }

    @contextmanager
    def timed(name: str) -> Iterator[None]:
        start = time.process_time()
        yield
        spent[name] += time.process_time() - start

    for _ in range(20):
        done = decide.decided(service, tenant, body)
        service.log.write(tenant, done.policy_set, done.entry)
    for _ in range(repeat):
        asked = decide.read_asked(body)
        with timed("database reads"):
            assembled = decide.assemble(service, tenant, asked)
        with timed("reading the request"):
            request, raw = decide.parsed_request(assembled)
        with timed("engine"):
            decided = assembled.policy_set.engine.decide(request, raw=raw)
        with timed("answer JSON"):
            text = msgspec.json.encode(decisions_json(decided))
        with timed("log write"):
            service.log.write(tenant, assembled.policy_set, decide.log_entry(tenant, asked, assembled, text))
    return {name: seconds / repeat * 1000 for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=400, help="requests per second for the latency run")
    parser.add_argument("--stored-customer", action="store_true", help="the customer is a stored contact")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_url = options.db or f"sqlite:///{folder / 'bench.db'}"
        key, tenant, customer = prepare(db_url, folder, options.stored_customer)
        body = decide_body(customer)
        body_file = folder / "body.json"
        body_file.write_text(json.dumps(body))
        per_phase = phases(db_url, tenant, body)
        print(
            f"database: {db_url.split(':', 1)[0]}; decide phases in-process (CPU ms): "
            + ", ".join(f"{k} {v:.2f}" for k, v in per_phase.items())
        )
        for workers in options.workers:
            with serving(db_url, workers, folder) as (base, process):
                capacity(base, key, body_file, 3)  # warm every worker's engine
                before = _cpu_seconds(process.pid)
                saturated = capacity(base, key, body_file, options.seconds)
                cpu_ms = (_cpu_seconds(process.pid) - before) / (saturated["rps"] * options.seconds) * 1000
                paced = at_rate(base, key, body_file, options.seconds, options.rate)
            engine_share = per_phase["engine"] / cpu_ms
            db_share = (per_phase["database reads"] + per_phase["log write"]) / cpu_ms
            rest = 1 - engine_share - db_share
            shares = f"engine {engine_share:.0%}, database {db_share:.0%}, HTTP and the rest {rest:.0%}"
            print(
                f"workers {workers}: capacity {saturated['rps']:.0f} req/s (p50 {saturated['p50']:.1f} ms, "
                f"p99 {saturated['p99']:.1f} ms, statuses {saturated['statuses']}); at {options.rate} req/s "
                f"offered: {paced['rps']:.0f} req/s, p50 {paced['p50']:.1f} ms, "
                f"p99 {paced['p99']:.1f} ms "
                f"(statuses {paced['statuses']}); server CPU {cpu_ms:.2f} ms per decide: {shares}"
            )


if __name__ == "__main__":
    main()

"""The service in one run (`make demo`): start `cpol serve` on a free port over a fresh
SQLite file, make a key, push the bundled policies, record a few responses, ask for a
decision and for the customer's suppressions, store a contact with a do-not-contact list
and a behavioral metric and ask again (decide reads them and says where each came from),
then stop the server.

    python examples/service_demo.py [FOLDER]   (default: build/demo)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent
CUSTOMER = "cust_042"


def cpol(*args: str, env: dict[str, str]) -> str:
    """Run a cpol command, echoed as a user would type it; its standard output."""
    print("$ cpol " + " ".join(args), flush=True)
    return subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def call(base: str, key: str, method: str, path: str, body: object = None) -> Any:
    print(f"$ {method} {path}", flush=True)
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + "/api/v1" + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("cpol serve stopped; see its log")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("cpol serve did not start")


def responses() -> dict[str, Any]:
    """This week's responses of the demo customer: two welcome emails, and a dismissed
    savings offer."""
    now = datetime.now(UTC)
    email = {"customerId": CUSTOMER, "channelId": "ch_email"}
    welcome, savings = {**email, "offerId": "off_welcome"}, {**email, "offerId": "off_savings_kids"}
    sent = [
        ("demo-1", 6, {**welcome, "outcome": "impression"}),
        ("demo-2", 4, {**welcome, "outcome": "impression"}),
        ("demo-3", 3, {**savings, "outcome": "dismiss"}),
    ]
    return {
        "interactions": [
            {**fields, "timestamp": stamp(now - timedelta(days=days)), "idempotencyKey": key}
            for key, days, fields in sent
        ]
    }


def stamp(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds").replace("+00:00", "Z")


def decide_body() -> dict[str, Any]:
    """The demo request's customer and candidates, decided now (the server's clock)."""
    request = json.loads((EXAMPLES / "demo-request.json").read_text())
    customer = {k: v for k, v in request["customer"].items() if k != "id"}
    return {"customerId": CUSTOMER, "customer": customer, "candidates": request["candidates"]}


def demo(base: str, key: str, env: dict[str, str]) -> None:
    print(cpol("push", str(EXAMPLES / "all_rule_types.cpol"), "--server", base, env=env))
    recorded = call(base, key, "POST", "/respond", responses())
    print(f"recorded {len(recorded['interactions'])} interactions; suppression records made:")
    for record in recorded["suppressions"]:
        print(f"  {record['scope']} {record['scopeId']}: {record['reason']} (until {record['expiresAt']})")
    decided = call(base, key, "POST", "/decide", decide_body())
    print(f"decision {decided['decisionId']} on policy set {decided['policySetVersion']}:")
    for decision in decided["decisions"]:
        blocked = decision["blockedBy"][0]["policyName"] if decision["blockedBy"] else ""
        verdict = "allowed" if decision["allowed"] else f"blocked by {blocked}"
        print(f"  {decision['candidate']['offerId']} on {decision['candidate'].get('channelId')}: {verdict}")
    suppressions = call(base, key, "GET", f"/customers/{CUSTOMER}/suppressions")
    print(f"{CUSTOMER}'s suppressions:")
    for record in suppressions["data"]:
        state = "active" if record["isActive"] else "inactive"
        print(f"  {record['policyName'] or 'manual'}: {record['scope']} {record['scopeId']}, {state}")
    logged = call(base, key, "GET", f"/decisions/{decided['decisionId']}")
    print(
        f"the decision log keeps its request ({len(logged['request']['interactions'])} interactions) "
        f"and its {len(logged['policies'])} policies, to re-explain it exactly"
    )


def customer_data(base: str, key: str) -> None:
    """A stored contact: decide reads its zone, lists and metrics, and names their sources."""
    contact = call(base, key, "POST", "/contacts", {"email": "aiko@example.com", "country": "JP"})["id"]
    complaint_rate = {"name": "Complaint rate", "outcome": "complaint", "windowDays": 30}
    call(
        base,
        key,
        "PUT",
        "/metrics/met_complaint_rate",
        {**complaint_rate, "aggregate": "rate", "per": "impression"},
    )
    dnc = call(base, key, "POST", "/contacts/lists", {"name": "internal_dnc", "kind": "dnc"})["id"]
    call(base, key, "POST", f"/contacts/lists/{dnc}/members", {"contactIds": [contact]})
    candidate = json.loads((EXAMPLES / "demo-request.json").read_text())["candidates"][0]
    shown = {"customerId": contact, "offerId": "off_savings_kids", "channelId": "ch_email"}
    call(base, key, "POST", "/respond", {**shown, "outcome": "impression"})
    decided = call(
        base, key, "POST", "/decide", {"customerId": contact, "candidates": [candidate], "explain": True}
    )
    print(f"what decide knew of {contact}:")
    for field, known in decided["customer"].items():
        print(f"  {field} = {json.dumps(known['value'])} (from {json.dumps(known['from'])})")
    decision = decided["decisions"][0]
    print(f"  {candidate['offerId']}: blocked by {[b['policyName'] for b in decision['blockedBy']]}")


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "build/demo").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "service.db"
    for leftover in folder.glob("service.db*"):
        leftover.unlink()
    env = {**os.environ, "CPOL_DATABASE_URL": f"sqlite:///{database}"}
    cpol("db", "upgrade", env=env)
    key = cpol("keys", "create", "--tenant", "demo", "--role", "admin", "--name", "demo", env=env).strip()
    env["CPOL_API_KEY"] = key
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (folder / "service.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        wait_until_up(base, server)
        print(f"cpol serve is up on {base} (log: {folder / 'service.log'})")
        demo(base, key, env)
        customer_data(base, key)
    finally:
        server.terminate()
        server.wait(timeout=30)
        print("cpol serve stopped")


if __name__ == "__main__":
    main()

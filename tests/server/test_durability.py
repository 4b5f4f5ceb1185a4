"""No acknowledged write is ever lost: a server killed with SIGKILL in the middle of a burst
of writes leaves every policy it answered 201 for in the database (with its audit entry),
and nothing it never accepted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .client import POLICIES, Server, email_cap
from .interactions import RESPOND, stored_documents
from .process import _free_port, _wait_healthy

WRITERS = 6
KILL_AFTER = 40  # acknowledged creates before the kill


def _serve(db_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], Server]:
    port = _free_port()
    log = folder / "killed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", "serve", "--db", db_url, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, process, log)
    return process, Server(base, db_url)


def _live_names(server: Server, key: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor: str | None = ""
    while cursor is not None:
        page = server.call("GET", f"{POLICIES}?limit=100&cursor={cursor}", key=key).json()
        found.update((policy["name"], policy) for policy in page["data"])
        cursor = page["pagination"]["cursor"]
    return found


Write = Callable[[str], str | None]  # sends one write named by its argument; its id if acknowledged


def _burst_then_kill(process: subprocess.Popen[bytes], write: Write) -> tuple[dict[str, str], list[str]]:
    """Writers send `write`s until the server is SIGKILLed after KILL_AFTER acknowledgements:
    the acknowledged writes (name -> id) and every write attempted."""
    acknowledged: dict[str, str] = {}
    attempted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(number: int) -> None:
        for count in range(10_000):
            if stop.is_set():
                return
            name = f"w{number}-{count}"
            with lock:
                attempted.append(name)
            try:
                made = write(name)
            except OSError:  # the server is gone: this write was never acknowledged
                return
            if made is not None:
                with lock:
                    acknowledged[name] = made

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= KILL_AFTER
    return acknowledged, attempted


def test_acknowledged_policies_survive_a_sigkill(server: Server, admin: str, tmp_path: Path) -> None:
    process, doomed = _serve(server.db_url, tmp_path)

    def create(name: str) -> str | None:
        reply = doomed.call("POST", POLICIES, key=admin, json_body=email_cap(name))
        return str(reply.json()["id"]) if reply.status == 201 else None

    acknowledged, attempted = _burst_then_kill(process, create)
    stored = _live_names(server, admin)  # the surviving server reads the same database
    assert set(acknowledged) <= set(stored), sorted(set(acknowledged) - set(stored))
    assert set(stored) <= set(attempted)  # nothing the writers never sent
    for name in list(acknowledged)[:5]:
        policy = stored[name]
        history = server.call("GET", f"{POLICIES}/{policy['id']}/history", key=admin).json()["data"]
        assert [entry["action"] for entry in history] == ["create"]


def test_acknowledged_responses_and_logged_decisions_survive_a_sigkill(
    server: Server, admin: str, tenant: str, tmp_path: Path
) -> None:
    """Every interaction respond answered 201 for is stored, once (a retry of its key after
    the restart records nothing new), and every decision answered is in the decision log."""
    process, doomed = _serve(server.db_url, tmp_path)

    def respond_and_decide(name: str) -> str | None:
        sent = {"customerId": "dur", "offerId": name, "channelId": "ch_email", "outcome": "impression"}
        recorded = doomed.call("POST", RESPOND, key=admin, json_body={**sent, "idempotencyKey": name})
        if recorded.status != 201:
            return None
        decided = doomed.call(
            "POST",
            "/api/v1/decide",
            key=admin,
            json_body={"customerId": "dur", "candidates": [{"offerId": name}]},
        )
        return str(decided.json()["decisionId"]) if decided.status == 200 else None

    acknowledged, attempted = _burst_then_kill(process, respond_and_decide)
    stored = [row["document"]["offerId"] for row in stored_documents(server, tenant)]
    assert set(acknowledged) <= set(stored) <= set(attempted) and len(stored) == len(set(stored))
    for name, decision_id in acknowledged.items():
        entry = server.call("GET", f"/api/v1/decisions/{decision_id}", key=admin)
        assert entry.status == 200 and entry.json()["request"]["candidates"] == [{"offerId": name}]
    retried = {
        "customerId": "dur",
        "offerId": next(iter(acknowledged)),
        "channelId": "ch_email",
        "outcome": "impression",
    }
    again = server.call(
        "POST", RESPOND, key=admin, json_body={**retried, "idempotencyKey": next(iter(acknowledged))}
    )
    assert again.status == 201 and len(stored_documents(server, tenant)) == len(stored)

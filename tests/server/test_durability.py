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
from pathlib import Path
from typing import Any

from .client import POLICIES, Server, email_cap
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


def test_acknowledged_writes_survive_a_sigkill(server: Server, admin: str, tmp_path: Path) -> None:
    process, doomed = _serve(server.db_url, tmp_path)
    acknowledged: list[str] = []
    attempted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def write(writer: int) -> None:
        for count in range(10_000):
            if stop.is_set():
                return
            name = f"w{writer}-{count}"
            with lock:
                attempted.append(name)
            try:
                reply = doomed.call("POST", POLICIES, key=admin, json_body=email_cap(name))
            except OSError:  # the server is gone: this write was never acknowledged
                return
            if reply.status == 201:
                with lock:
                    acknowledged.append(name)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
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
    stored = _live_names(server, admin)  # the surviving server reads the same database
    assert set(acknowledged) <= set(stored), sorted(set(acknowledged) - set(stored))
    assert set(stored) <= set(attempted)  # nothing the writers never sent
    for name in acknowledged[:5]:
        policy = stored[name]
        history = server.call("GET", f"{POLICIES}/{policy['id']}/history", key=admin).json()["data"]
        assert [entry["action"] for entry in history] == ["create"]

"""One real `cpol serve` process for the whole server suite, and an HTTP client for it.

Tests isolate themselves by tenant (each asks `keys` for a fresh one), so they share the
server and its SQLite file; keys are made with the library on that same file, as
`cpol keys create` would, without a process per key.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpol.server.database import make_engine
from cpol.server.keys import create_key, role_named

from .client import KeyMaker, Server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cpol serve exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"cpol serve did not become healthy: {log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    db_url = f"sqlite:///{folder / 't.db'}"
    port = _free_port()
    log = folder / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "CPOL_DATABASE_URL"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", "serve", "--db", db_url, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, log)
        yield Server(base, db_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()  # no 5xx, no crash behind a 4xx


@pytest.fixture(scope="session")
def make_key(server: Server) -> Iterator[KeyMaker]:
    """`make_key(tenant, role="admin")`: a live key, stored in the server's database."""
    engine = make_engine(server.db_url)

    def make(tenant: str, role: str = "admin") -> str:
        return create_key(engine, tenant, role_named(role), f"{tenant}-{role}-{uuid.uuid4().hex[:8]}")

    yield make
    engine.dispose()


@pytest.fixture
def tenant() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def admin(make_key: KeyMaker, tenant: str) -> str:
    return make_key(tenant, "admin")

"""Running `cpol serve` as a real process for the tests, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .client import Server


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


@contextmanager
def running_server(folder: Path, *options: str, db_url: str | None = None) -> Iterator[Server]:
    """`cpol serve` on a free port over `db_url` (default: a SQLite file in `folder`), until
    the block ends."""
    db_url = db_url or f"sqlite:///{folder / 't.db'}"
    port = _free_port()
    log = folder / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "CPOL_DATABASE_URL"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", "serve", "--db", db_url, "--port", str(port), *options],
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

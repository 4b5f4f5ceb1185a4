"""A real `cpol lsp` session per test, in a fresh workspace folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp.client import Client


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Client]:
    client = Client(tmp_path, {"lint": False})
    yield client
    client.close()


@pytest.fixture
def linting(tmp_path: Path) -> Iterator[Client]:
    client = Client(tmp_path)
    yield client
    client.close()

"""The batch benchmark's hand-written DuckDB peer (benchmarks/batch_peer.py) decides every
candidate row exactly as the online engine decides that customer's SPEC §2 request:
allowed, first blocking policy (or the consent gate) and eligibleAt.

The benchmark compares cpol's batch time with the peer's, and checks cpol's output against
the peer's on every row of 200,000 customers; both only mean something if the peer is
right, which these tests prove on smaller populations of the same generator.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import batch_data
import batch_peer
import cpol
from batch_data import NOW, Inputs


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    return batch_data.generate(tmp_path_factory.mktemp("population"), 2000)


def _disagreements(peer: batch_peer.Rows, online: batch_peer.Rows) -> dict[object, object]:
    return {key: (peer.get(key), row) for key, row in online.items() if peer.get(key) != row}


def test_the_peer_decides_every_row_as_the_online_engine(population: Inputs) -> None:
    online = batch_peer.online_rows(population, NOW)
    peer = batch_peer.peer_rows(population, NOW)
    assert len(online) == 10_000
    assert peer.keys() == online.keys()
    differ = _disagreements(peer, online)
    assert not differ, f"{len(differ)} rows differ (peer, online), e.g. {list(differ.items())[:3]}"


def test_the_population_makes_every_policy_block_first(population: Inputs) -> None:
    """Agreement only proves the peer where the rows exercise it: every policy of the set and
    the consent gate are some row's first block, and time-lifted blocks have an eligibleAt."""
    online = batch_peer.online_rows(population, NOW)
    firsts = Counter(blocked_by for _, blocked_by, _ in online.values())
    ids = {policy.id for policy in cpol.compile_files([batch_peer.POLICIES])}
    assert set(firsts) == ids | {"consent", None}
    assert {block.policy_id for block in batch_peer.BLOCKS} == ids | {"consent"}
    assert 0.2 < firsts[None] / len(online) < 0.8
    lifted = [at for allowed, _, at in online.values() if not allowed and at is not None]
    assert len(lifted) > 1000


@given(
    seed=st.integers(0, 2**31),
    shift=st.integers(-2 * 86_400_000_000, 12 * 86_400_000_000),
)
def test_the_peer_agrees_at_any_moment_on_any_population(seed: int, shift: int) -> None:
    """Other seeds, and moments from two days before the history's end to twelve days after
    (every weekday and hour for the quiet hours, windows emptying, interactions stamped after
    the moment), to the microsecond."""
    now = NOW + timedelta(microseconds=shift)
    with tempfile.TemporaryDirectory() as folder:
        inputs = batch_data.generate(Path(folder), 150, seed)
        differ = _disagreements(batch_peer.peer_rows(inputs, now), batch_peer.online_rows(inputs, now))
    assert not differ, f"at {now.isoformat()}: {list(differ.items())[:3]}"


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    """The cache is only sound if a seed always gives the same population."""
    first, again, other = (batch_data.generate(tmp_path / name, 300, seed) for name, seed in
                           (("a", 5), ("b", 5), ("c", 6)))  # fmt: skip
    with batch_peer.connect() as con:

        def table(path: Path) -> object:
            return con.sql(f"SELECT * FROM read_parquet({batch_data.literal(str(path))})").fetchall()

        for name in ("interactions", "customers", "candidates"):
            assert table(getattr(first, name)) == table(getattr(again, name))
        assert table(first.interactions) != table(other.interactions)

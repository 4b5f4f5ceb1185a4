"""cpol end to end against the hand-written peer, interleaved in one process.

The peer (`../shared/bench/handwritten_peer.py` beside the repository, or `--peer PATH`) is
what a team writes instead of using cpol: `evaluate(policies, request)` on the decoded JSON,
stopping at the first block, with no trace, reasons or eligibleAt. cpol is timed from the same
decoded request through `Engine.decide_json` (parsing included), in fast and explain mode, and
from the request's bytes against `json.loads` + the peer. Every figure is a ratio of the peer's
time on the same request.

The requests are `runtime.py`'s generator without suppression records (the peer has no
suppression gate, so both do the same work); the variants are the issue's: the default
(200 interactions, 50 candidates, 14 policies), 20 and 2,000 interactions, 5 and 500
candidates, and 100 policies (`runtime.many_policies`). Before timing, the two must agree
on every candidate: allowed, and the first blocking policy.

    .venv/bin/python benchmarks/peer.py [--repeat N] [--peer PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import cpol
import runtime
from cpol.runtime import Engine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PEER = ROOT.parent / "shared" / "bench" / "handwritten_peer.py"
#: (label, interactions, candidates, policies)
VARIANTS: tuple[tuple[str, int, int, Callable[[], list[dict[str, Any]]]], ...] = (
    ("default", 200, 50, runtime.policies),
    ("20 interactions", 20, 50, runtime.policies),
    ("2,000 interactions", 2000, 50, runtime.policies),
    ("5 candidates", 200, 5, runtime.policies),
    ("500 candidates", 200, 500, runtime.policies),
    ("100 policies", 200, 50, runtime.many_policies),
)
#: The issue's targets, fast mode from the decoded dict, as a ratio of the peer's time.
TARGETS = {"default": 0.5, "100 policies": 1.0}
OTHER_TARGET = 0.8


def load_peer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("handwritten_peer", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the peer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_blocks(decisions: list[Any]) -> list[tuple[bool, str | None]]:
    """cpol's decisions as the peer reports them: allowed, and the first blocking policy's
    id (the consent gate as "consent")."""
    out = []
    for decision in decisions:
        first = decision.blocked_by[0] if decision.blocked_by else None
        name = None if first is None else "consent" if first.rule_type == "consent" else first.policy_id
        out.append((decision.allowed, name))
    return out


def run_variant(peer: ModuleType, label: str, n_int: int, n_cand: int, make: Any, repeat: int) -> bool:
    policies = make()
    data = {**runtime.request(n_int, n_cand), "suppressions": []}
    text = json.dumps(data).encode()
    engine = Engine(cpol.load_json(policies))
    theirs = [tuple(v) for v in peer.evaluate(policies, data)]
    ours = _first_blocks(engine.decide_json(data))
    disagree = sum(a != b for a, b in zip(theirs, ours, strict=True))
    if disagree:
        print(f"{label}: the peer and cpol disagree on {disagree} of {len(ours)} candidates")
        return False
    times = runtime.measure(
        {
            "peer": lambda: peer.evaluate(policies, data),
            "fast": lambda: engine.decide_json(data),
            "explain": lambda: engine.decide_json(data, explain=True),
            "peer bytes": lambda: peer.evaluate(policies, json.loads(text)),
            "fast bytes": lambda: engine.decide_json(text),
        },
        repeat,
        0.05,
    )
    target = TARGETS.get(label, OTHER_TARGET)
    fast = times["fast"] / times["peer"]
    verdict = "ok" if fast <= target else "MISSED"
    print(
        f"{label:<19} {len(policies):>3} {times['peer'] * 1000:>8.3f} {fast:>7.2f}x {verdict:<6}"
        f" {times['explain'] / times['peer']:>8.2f}x {times['explain'] / times['fast']:>8.2f}x"
        f" {times['fast bytes'] / times['peer bytes']:>8.2f}x   (target {target})"
    )
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="samples per figure (default 7)")
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER, help="the peer's file")
    args = parser.parse_args()
    peer = load_peer(args.peer)
    print(f"python {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    print(
        f"{'variant':<19} {'pol':>3} {'peer ms':>8} {'fast/peer':>8}        "
        f"{'expl/peer':>9} {'expl/fast':>9} {'bytes':>9}"
    )
    agreed = [run_variant(peer, *variant, args.repeat) for variant in VARIANTS]
    return 0 if all(agreed) else 1


if __name__ == "__main__":
    sys.exit(main())

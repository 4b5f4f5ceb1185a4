"""`cpol lsp` on a 1,000-policy file, through a real session over stdio.

Run: `.venv/bin/python benchmarks/lsp.py [--policies N] [--repeat R]`. The file is
`corpus.policy_set` printed as `.cpol`. Figures are wall-clock times seen by the client,
from sending a message to receiving the server's answer: opening the file (until its
compiler diagnostics arrive), a keystroke inside one policy (a digit changed: until the
diagnostics of that version arrive, the server's default 30 ms debounce included, and until
the lint findings follow), completion at a statement start, and formatting the whole file.
Each figure is the median of R runs, with the slowest.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.lsp.client import Client, position, text_range

from corpus import policy_set
from cpol import to_cpol
from cpol.plan import parse_policy


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def show(label: str, seconds: list[float]) -> None:
    median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    print(f"{label:<42} median {median:8.1f} ms   slowest {worst:8.1f} ms   ({len(seconds)} runs)")


def opening(folder: Path, path: Path) -> float:
    """A new session opens the file: seconds until its compiler diagnostics arrive."""
    client = Client(folder)
    try:
        return timed(lambda: client.diagnostics(client.open(path)))
    finally:
        client.close()


def keystrokes(
    client: Client, uri: str, line: int, column: int, repeat: int
) -> tuple[list[float], list[float]]:
    """Type a digit over and over in one policy: time to its diagnostics, then to lint's."""
    compiled, linted = [], []
    for run in range(repeat):
        start = time.perf_counter()
        client.change(uri, [{"range": text_range(line, column, line, column + 1), "text": str(2 + run % 2)}])
        client.diagnostics(uri)
        compiled.append(time.perf_counter() - start)
        client.diagnostics(uri)  # the second publish of the version carries lint
        linted.append(time.perf_counter() - start)
    return compiled, linted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    text = to_cpol([parse_policy(raw) for raw in policy_set(args.policies)])
    lines = text.split("\n")
    middle = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].lstrip().startswith("priority "))
    column = lines[middle].index("priority ") + len("priority ")
    print(f"cpol lsp, {args.policies} policies ({len(lines)} lines), Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policies.cpol"
        path.write_text(text, encoding="utf-8")
        opened = [opening(Path(folder), path) for _ in range(max(3, args.repeat // 4))]
        show("open (until the compiler's diagnostics)", opened)
        client = Client(Path(folder), {"debounceMs": 30, "lintDelayMs": 300})
        uri = client.open(path)
        client.diagnostics(uri, publishes=2)
        compiled, linted = keystrokes(client, uri, middle, column, args.repeat)
        show("keystroke -> diagnostics", compiled)
        show("keystroke -> lint findings (300 ms delay)", linted)
        where = {"textDocument": {"uri": uri}, "position": position(middle + 1, 2)}
        show(
            "completion",
            [timed(lambda: client.request("textDocument/completion", where)) for _ in range(args.repeat)],
        )
        options = {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}}
        show(
            "formatting (whole file)",
            [timed(lambda: client.request("textDocument/formatting", options)) for _ in range(args.repeat)],
        )
        client.close()


if __name__ == "__main__":
    main()

"""A real headless Chromium for the HTML report tests: the page's DOM after its scripts ran,
and every console message (script errors, CSP refusals). No Chromium, or one that cannot
start, fails the test with why: it is never skipped (`.ci/run` installs Debian's chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Chromium's log line for a console message: `...:INFO:CONSOLE(12)] "Uncaught ...", source: ...`.
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]? ?(.*)")
FLAGS = (
    "--headless",
    "--no-sandbox",  # tests may run as root in a container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass(frozen=True)
class Page:
    dom: str
    console: list[str]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"Chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def open_page(page: Path, profile: Path) -> Page:
    """The DOM of `page` once loaded, and the console's messages."""
    done = _run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()])
    assert "<html" in done.stdout, f"Chromium printed no DOM: {done.stderr[-2000:]}"
    console = [m[1] for line in done.stderr.splitlines() if (m := CONSOLE.search(line))]
    return Page(done.stdout, console)

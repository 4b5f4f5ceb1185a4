"""Renders docs/images/editor.png: a `.cpol` file with the diagnostics and a hover that a real
`cpol lsp` session returns, drawn over the Pygments highlighting, shot by headless Chromium.

Nothing on the picture is written by hand: the text is highlighted by cpol.highlight's lexer,
the squiggles, their messages and the hover box are what the server answered over JSON-RPC.
Run from the repository root, with the `lsp` extra installed and Chromium on the PATH:

    python editors/screenshot.py [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from cpol.highlight import CpolLexer

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "images" / "editor.png"
SAMPLE = """\
# Spring programme: channel caps and quiet hours
use "compliance/quiet_hours_whatsapp" with priority 90

policy "Email weekly cap" {
  applies to chanel "ch_email"
  cap 1 per day, 3 per week
}

policy "Welcome rest" {
  scope offer "off_welcome"
  cooldown 0 hours
}

policy "SMS quiet hours" {
  scope channel "ch_sms"
  only between 8:00 and 21:00 on mon..sat in "America/New_York"
}
"""
HOVER_AT = (15, 3)  # line and character (0-based) of `only`, the time-window sentence
WIDTH, HEIGHT = 1180, 990


class Session:
    """A language client speaking LSP's JSON-RPC to `cpol lsp` over its stdin and stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 0

    def send(self, method: str, params: dict[str, Any], *, request: bool = True) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        stdin = self._pipe(self.process.stdin)
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()
        return message.get("id")

    def receive(self) -> dict[str, Any]:
        stdout = self._pipe(self.process.stdout)
        length = 0
        while (line := stdout.readline().strip()) != b"":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length == 0:
            raise SystemExit("cpol lsp closed its output")
        message: dict[str, Any] = json.loads(stdout.read(length))
        return message

    def request(self, method: str, params: dict[str, Any]) -> Any:
        """Sends a request and returns its result, answering the server's own requests."""
        sent = self.send(method, params)
        while True:
            message = self.receive()
            if message.get("id") == sent and "method" not in message:
                if "error" in message:
                    raise SystemExit(f"{method}: {message['error']}")
                return message.get("result")
            if "method" in message and "id" in message:  # e.g. workspace/configuration
                self._answer(message["id"])

    def notification(self, method: str) -> dict[str, Any]:
        """Waits for the server's next notification of `method` and returns its params."""
        while True:
            message = self.receive()
            if message.get("method") == method:
                params: dict[str, Any] = message["params"]
                return params
            if "method" in message and "id" in message:
                self._answer(message["id"])

    def close(self) -> None:
        self.request("shutdown", {})
        self.send("exit", {}, request=False)
        self.process.wait(timeout=10)

    def _answer(self, message_id: int) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": message_id, "result": None}).encode("utf-8")
        stdin = self._pipe(self.process.stdin)
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    @staticmethod
    def _pipe(pipe: IO[bytes] | None) -> IO[bytes]:
        assert pipe is not None
        return pipe


@dataclass
class Answers:
    diagnostics: list[dict[str, Any]]
    hover: str


def ask_the_server(folder: Path) -> Answers:
    """Opens SAMPLE in a real session and collects the diagnostics (compiler and lint) and
    the hover; the server publishes twice, the compiler's first, then with lint's added."""
    path = folder / "spring.cpol"
    path.write_text(SAMPLE, encoding="utf-8")
    uri = path.as_uri()
    session = Session()
    session.request("initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}})
    session.send("initialized", {}, request=False)
    document = {"uri": uri, "languageId": "cpol", "version": 1, "text": SAMPLE}
    session.send("textDocument/didOpen", {"textDocument": document}, request=False)
    published = [session.notification("textDocument/publishDiagnostics") for _ in range(2)]
    line, character = HOVER_AT
    position = {"line": line, "character": character}
    hover = session.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position})
    session.close()
    contents = hover["contents"]
    return Answers(
        published[-1]["diagnostics"], contents["value"] if isinstance(contents, dict) else contents
    )


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        return True  # the server links its docs by file: URL, which commonmark refuses


def markdown(text: str) -> str:
    """The hover's markdown as HTML, its ```cpol and ```json blocks highlighted by Pygments."""

    def fence(code: str, lang: str, attrs: str) -> str:
        return highlight(code, get_lexer_by_name(lang or "text"), HtmlFormatter(nowrap=True))

    return str(_Markdown("commonmark", {"highlight": fence}).render(text))


def overlays(answers: Answers) -> str:
    """Squiggles under each diagnostic's range, its message after the line, and the hover box,
    placed by column: the code is monospace, so one character is `1ch` wide."""
    parts = []
    for diagnostic in answers.diagnostics:
        start, end = diagnostic["range"]["start"], diagnostic["range"]["end"]
        kind = "error" if diagnostic.get("severity", 1) == 1 else "warning"
        line = SAMPLE.split("\n")[start["line"]]
        last = end["character"] if end["line"] == start["line"] else len(line)
        marked = html.escape(line[start["character"] : max(last, start["character"] + 1)])
        parts.append(
            f'<div class="squiggle {kind}" style="top:calc({start["line"]} * var(--line));'
            f'left:{start["character"]}ch">{marked}</div>'
        )
        column = len(SAMPLE.split("\n")[start["line"]]) + 3
        parts.append(
            f'<div class="lens {kind}" style="top:calc({start["line"]} * var(--line));left:{column}ch">'
            f"{html.escape(diagnostic['message'].split(chr(10))[0])}</div>"
        )
    line, character = HOVER_AT
    parts.append(
        f'<div class="hover" style="top:calc({line + 1} * var(--line) + 4px);left:{character}ch">'
        f"{markdown(answers.hover)}</div>"
    )
    return "\n".join(parts)


def page(answers: Answers) -> str:
    formatter = HtmlFormatter(style="default", nowrap=True)
    style_defs: Callable[[list[str]], str] = formatter.get_style_defs
    code = highlight(SAMPLE, CpolLexer(), formatter)
    numbers = "\n".join(str(n) for n in range(1, SAMPLE.count("\n") + 1))
    problems = "".join(
        f'<li class="{"error" if d.get("severity", 1) == 1 else "warning"}">'
        f"{html.escape(d['message'])} <span class=source>{html.escape(str(d.get('source', '')))}"
        f" {html.escape(str(d.get('code', '')))} [Ln {d['range']['start']['line'] + 1}, "
        f"Col {d['range']['start']['character'] + 1}]</span></li>"
        for d in answers.diagnostics
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
{style_defs([".code", ".hover"])}
:root {{ --line: 21px; }}
body {{ margin:0; font:13px system-ui, sans-serif; background:#fff; color:#222; }}
.tab {{ background:#f3f3f3; border-bottom:1px solid #ddd; padding:6px 14px; font-size:12px; }}
.editor {{ display:flex; padding:10px 0; font:14px/var(--line) "DejaVu Sans Mono", monospace; }}
.gutter {{ color:#999; text-align:right; padding:0 12px; white-space:pre; }}
.area {{ position:relative; flex:1; min-height:820px; }}
.code {{ white-space:pre; }}
.squiggle {{ position:absolute; white-space:pre; color:transparent; text-decoration:underline wavy;
  text-decoration-skip-ink:none; text-underline-offset:3px; }}
.squiggle.error {{ text-decoration-color:#e51400; }} .squiggle.warning {{ text-decoration-color:#bf8803; }}
.lens {{ position:absolute; white-space:nowrap; font-style:italic; opacity:.8; }}
.lens.error {{ color:#e51400; }} .lens.warning {{ color:#bf8803; }}
.hover {{ position:absolute; max-width:640px; background:#f8f8f8; border:1px solid #c8c8c8;
  box-shadow:0 2px 8px rgba(0,0,0,.18); padding:4px 12px; font:13px/1.45 system-ui, sans-serif;
  white-space:normal; z-index:2; }}
.hover pre {{ background:#fff; padding:6px 8px; font:12px/1.4 "DejaVu Sans Mono", monospace; }}
.hover code {{ font-family:"DejaVu Sans Mono", monospace; font-size:12px; }}
.problems {{ border-top:1px solid #ddd; padding:6px 14px; }}
.problems h2 {{ font-size:11px; letter-spacing:.05em; text-transform:uppercase; margin:4px 0; }}
.problems ul {{ margin:0; padding-left:18px; white-space:pre-line; }} .problems li.error {{ color:#a1260d; }}
.problems li.warning {{ color:#8a6100; }} .source {{ color:#777; }}
</style></head><body>
<div class="tab">spring.cpol</div>
<div class="editor"><div class="gutter">{numbers}</div>
<div class="area"><div class="code">{code}</div>
{overlays(answers)}
</div></div>
<div class="problems"><h2>Problems (cpol lsp)</h2><ul>{problems}</ul></div>
</body></html>"""


def shoot(chromium: str, document: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={output}", document.as_uri(),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        answers = ask_the_server(Path(folder))
        document = Path(folder) / "editor.html"
        document.write_text(page(answers), encoding="utf-8")
        shoot(arguments.chromium, document, arguments.output)
    print(json.dumps({"diagnostics": answers.diagnostics, "hover": answers.hover}, indent=2))
    print(f"wrote {arguments.output}")


if __name__ == "__main__":
    main()

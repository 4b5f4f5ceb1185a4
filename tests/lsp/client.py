"""A small LSP client for the tests: `cpol lsp` as a subprocess, JSON-RPC over its stdio.

Messages are framed with `Content-Length` headers; a reader thread files responses by id and
keeps notifications in arrival order. Waits are bounded (a server that never answers fails
the test with its stderr), never measured.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

WAIT = 120.0
"""How long to wait for an answer before the server is declared stuck (not a timing check)."""

Json = Any


class ServerFailed(AssertionError):
    """The server died or did not answer: the test fails with what it wrote on stderr."""


class Client:
    def __init__(self, root: Path, options: dict[str, Any] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.ids = itertools.count(1)
        self.responses: dict[int, queue.Queue[Json]] = {}
        self.notifications: queue.Queue[Json] = queue.Queue()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.versions: dict[str, int] = {}
        self.result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": "root"}],
                "capabilities": {},
                "initializationOptions": {"debounceMs": 0, "lintDelayMs": 0, **(options or {})},
            },
        )
        self.notify("initialized", {})

    # -- framing -------------------------------------------------------------------------
    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None, "a message without Content-Length"
            message = json.loads(stream.read(length))
            if "id" in message and "method" not in message:
                self._box(message["id"]).put(message)
            elif "method" in message and "id" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.notifications.put(message)

    def _box(self, ident: int) -> queue.Queue[Json]:
        with self.lock:
            return self.responses.setdefault(ident, queue.Queue())

    def _send(self, message: Json) -> None:
        body = json.dumps(message).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def _failed(self, what: str) -> ServerFailed:
        self.process.kill()
        stderr = self.process.stderr.read().decode("utf-8", "replace") if self.process.stderr else ""
        return ServerFailed(f"cpol lsp: {what}; stderr:\n{stderr}")

    # -- protocol ------------------------------------------------------------------------
    def request_raw(self, method: str, params: Json) -> Json:
        """The whole response message (`result` or `error`)."""
        ident = next(self.ids)
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        try:
            return self._box(ident).get(timeout=WAIT)
        except queue.Empty:
            raise self._failed(f"no answer to {method}") from None

    def request(self, method: str, params: Json) -> Json:
        response = self.request_raw(method, params)
        if "error" in response:
            raise self._failed(f"{method} failed: {response['error']}")
        return response["result"]

    def notify(self, method: str, params: Json) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, method: str, accept: Callable[[Json], bool] = lambda params: True) -> Json:
        """The params of the next notification `method` that `accept` takes (others dropped)."""
        while True:
            try:
                message = self.notifications.get(timeout=WAIT)
            except queue.Empty:
                raise self._failed(f"no {method} notification") from None
            if message["method"] == method and accept(message["params"]):
                return message["params"]

    # -- documents -----------------------------------------------------------------------
    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.versions[uri] = 1
        text = path.read_text(encoding="utf-8") if text is None else text
        item = {"uri": uri, "languageId": "cpol", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri

    def change(self, uri: str, changes: list[Json]) -> int:
        self.versions[uri] += 1
        document = {"uri": uri, "version": self.versions[uri]}
        self.notify("textDocument/didChange", {"textDocument": document, "contentChanges": changes})
        return self.versions[uri]

    def diagnostics(self, uri: str, *, publishes: int = 1) -> list[Json]:
        """The diagnostics of the document's latest version: its first publish (the compiler's),
        or with `publishes=2` the second (the compiler's and lint's, when lint is on)."""
        version = self.versions[uri]
        for _ in range(publishes):
            params = self.wait_for(
                "textDocument/publishDiagnostics", lambda p: p["uri"] == uri and p.get("version") == version
            )
        return list(params["diagnostics"])

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=WAIT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


def position(line: int, character: int) -> Json:
    return {"line": line, "character": character}


def text_range(line: int, character: int, end_line: int, end_character: int) -> Json:
    return {"start": position(line, character), "end": position(end_line, end_character)}

"""The policies of the workspace: every `.cpol` file under its folders and every open document.

Workspace symbols, renaming a policy across files and completing the ids other files use
all read this index. A file on disk is read once, lazily, and re-read when the client says
it changed; an open document is indexed from its latest analysis instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from cpol.compiler.compile import lower_source
from cpol.compiler.lower import Lowered
from cpol.diagnostics import Span
from cpol.lsp.document import Analysis

#: At most this many files are read from the workspace folders (a huge tree stays usable).
MAX_FILES = 5000
MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """A policy of some file: its name, the span of its name string and of its block."""

    name: str
    rule_type: str
    name_span: Span
    span: Span
    raw: dict[str, object]


@dataclass
class FileIndex:
    uri: str
    text: str
    policies: list[Entry] = field(default_factory=list)


def uri_to_path(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


def entries(pairs: Iterable[tuple[Lowered, int]]) -> list[Entry]:
    """Index entries for policies, each with the line its spans are relative to."""
    out = []
    for lowered, line in pairs:
        name_span = lowered.node.name.span
        span = lowered.node.span
        shift = {"line": name_span.line + line, "end_line": name_span.end_line + line}
        out.append(
            Entry(
                str(lowered.raw.get("name")),
                str(lowered.raw.get("ruleType", "")),
                name_span._replace(**shift),
                span._replace(line=span.line + line, end_line=span.end_line + line),
                lowered.raw,
            )
        )
    return out


class Workspace:
    def __init__(self, folders: Iterable[Path] = ()) -> None:
        self.folders = list(folders)
        self._disk: dict[str, FileIndex] | None = None
        self.open: dict[str, FileIndex] = {}

    def _scan(self) -> dict[str, FileIndex]:
        if self._disk is None:
            self._disk = {}
            for path in self._files():
                self._read(path)
        return self._disk

    def _files(self) -> Iterator[Path]:
        count = 0
        for folder in self.folders:
            for path in sorted(folder.rglob("*.cpol")):
                if any(part.startswith(".") for part in path.relative_to(folder).parts):
                    continue
                count += 1
                if count > MAX_FILES:
                    return
                yield path

    def _read(self, path: Path) -> None:
        assert self._disk is not None
        try:
            if path.stat().st_size > MAX_BYTES:
                return
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self._disk.pop(path.as_uri(), None)
            return
        lowered = lower_source(text, str(path))
        self._disk[path.as_uri()] = FileIndex(path.as_uri(), text, entries((p, 0) for p in lowered.policies))

    def changed_on_disk(self, uri: str) -> None:
        if self._disk is not None:
            self._read(uri_to_path(uri))

    def update_open(self, uri: str, analysis: Analysis) -> None:
        pairs = ((lowered, block.line) for block, lowered in analysis.policies())
        self.open[uri] = FileIndex(uri, analysis.text, entries(pairs))

    def close(self, uri: str) -> None:
        self.open.pop(uri, None)

    def files(self) -> list[FileIndex]:
        """Every indexed file, the open document's version where a file is open."""
        merged = {**self._scan(), **self.open}
        return [merged[uri] for uri in sorted(merged)]

    def seen(self) -> dict[str, set[str]]:
        """Scope ids by kind, and `outcome`: the values the workspace's policies use."""
        out: dict[str, set[str]] = {}
        for file in self.files():
            for entry in file.policies:
                _collect(entry.raw, out)
        return out


def _collect(raw: dict[str, object], out: dict[str, set[str]]) -> None:
    scopes = raw.get("scopes")
    refs = [raw, *(scopes if isinstance(scopes, list) else [])]
    for ref in refs:
        if (
            isinstance(ref, dict)
            and isinstance(ref.get("scope"), str)
            and isinstance(ref.get("scopeId"), str)
        ):
            out.setdefault(str(ref["scope"]), set()).add(str(ref["scopeId"]))
    config = raw.get("config")
    if isinstance(config, dict):
        for key in ("afterOutcome", "outcome"):
            value = config.get(key)
            values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            out.setdefault("outcome", set()).update(str(v) for v in values)

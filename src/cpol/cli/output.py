"""Standard output and standard error that cannot be written (a full disk, `> /dev/full`,
a closed pipe): one `cpol: cannot write …` line and exit 1, never an internal error."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from cpol.cli.shared import EXIT_PROBLEM
from cpol.textsafe import escape_lines


class OutputFailed(Exception):
    """A write to standard output or error failed (a full disk, `> /dev/full`, a closed
    pipe). Not an OSError, so no handler meant for input files can take it for one."""

    def __init__(self, stream: str, error: OSError) -> None:
        super().__init__(f"cannot write {stream}: {error.strerror or error}")
        self.stream = stream
        self.error = error


class _GuardedFile(io.FileIO):
    """File descriptor 1 or 2, whose failed writes say which stream failed."""

    def __init__(self, fd: int, stream: str) -> None:
        super().__init__(fd, "wb", closefd=False)
        self.stream = stream

    def write(self, data: Any, /) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise OutputFailed(self.stream, error) from error


class _EscapingText(io.TextIOWrapper):
    """Standard error: only messages go there, so any control character that a message
    site did not escape (click's own, a file name) is shown escaped instead of reaching the
    terminal raw."""

    def write(self, text: str, /) -> int:
        super().write(escape_lines(text))
        return len(text)


def _guard(current: Any, stream: str) -> Any:
    """A text stream like `current` over the same descriptor, its failures told apart; the
    stream itself when it has no descriptor (a test runner's capture)."""
    try:
        fd = current.fileno()
        current.flush()
    except (AttributeError, OSError, ValueError):
        return current
    kind = _EscapingText if stream == "standard error" else io.TextIOWrapper
    return kind(
        io.BufferedWriter(_GuardedFile(fd, stream)),
        encoding=current.encoding,
        errors=current.errors,
        line_buffering=current.line_buffering,
        write_through=getattr(current, "write_through", False),
    )


def _silence(fd: int) -> None:
    """Point a failed descriptor at /dev/null so output still buffered for it is dropped
    at exit instead of failing again (the idiom Python's documentation gives for SIGPIPE)."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _flush(stream: TextIO) -> None:
    """Flush, unless the stream was closed on purpose (the language server closes its
    stdout when the editor says `exit`): a closed stream has nothing left to write."""
    with contextlib.suppress(ValueError):
        stream.flush()


@contextlib.contextmanager
def guarded_output() -> Iterator[None]:
    """Every command, `--help` and `--version` included: a failed write to stdout or stderr
    is `cpol: cannot write standard output: …` and exit 1, like `-o /dev/full`, never an
    internal error; a closed pipe (`cpol compile big.cpol | head`) ends quietly, exit 1."""
    sys.stdout = _guard(sys.stdout, "standard output")
    sys.stderr = _guard(sys.stderr, "standard error")
    try:
        try:
            yield
        finally:
            _flush(sys.stdout)  # what is still buffered fails here, not at exit
            _flush(sys.stderr)
    except OutputFailed as failure:
        _silence(1 if failure.stream == "standard output" else 2)
        if failure.error.errno != errno.EPIPE:  # a closed pipe: the reader left on purpose
            try:
                sys.stderr.write(f"cpol: {failure}\n")
                sys.stderr.flush()
            except (OutputFailed, OSError):
                _silence(2)  # what could not be written must not fail again at exit
        raise SystemExit(EXIT_PROBLEM) from None

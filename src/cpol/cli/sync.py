"""`cpol push` and `cpol pull` (SPEC §5.4): policies as code against a running `cpol serve`.

Thin over the service's import and export endpoints, with the standard library's urllib
(no client dependency, and no need for the `server` extra on a developer's machine). Push
compiles the FILEs locally first, exactly as `cpol compile` reads them, so a local mistake
is reported with its line and column before anything is sent.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any, NoReturn

import click

import cpol
from cpol.cli.loading import load_or_exit
from cpol.cli.shared import (
    EXIT_PROBLEM,
    CpolError,
    emit,
    files_argument,
    imports_option,
    output_option,
    report,
    write_output,
)
from cpol.diagnostics import Diagnostic
from cpol.textsafe import escape

POLICIES = "/api/v1/contact-policies"
TIMEOUT_SECONDS = 60
NO_KEY = "no API key: give --key KEY or set CPOL_API_KEY"


class Rejected(Exception):
    """The server answered an error (SPEC §5.2): its status and its error object."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(status, error)
        self.status = status
        self.error = error


def call(url: str, key: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    """The body of the server's answer; `Rejected` for an error answer, and a one-line
    `CpolError` when the server cannot be reached at all."""
    sent = {"Authorization": f"Bearer {key}", **(headers or {})}
    request = urllib.request.Request(
        url, data=body, headers=sent, method="POST" if body is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer: bytes = response.read()
            return answer
    except urllib.error.HTTPError as error:
        raise Rejected(error.code, _error_of(error.read())) from None
    except (urllib.error.URLError, OSError, ValueError) as error:  # refused, DNS, timeout, a bad URL
        reason = getattr(error, "reason", None) or error
        raise CpolError(f"cannot reach {url}: {reason}") from None


def _error_of(body: bytes) -> dict[str, Any]:
    """The §5.2 error object of an answer, or one made up for a body that is not one (a proxy's page)."""
    try:
        error = json.loads(body)["error"]
        if isinstance(error, dict):
            return error
    except (ValueError, KeyError, TypeError):
        pass
    return {"code": "error", "message": body.decode("utf-8", "replace")[:200], "details": []}


def _endpoint(server: str, path: str, **query: bool) -> str:
    """`server` is the service's root (`http://host:8080`); the API path is added here."""
    flags = urllib.parse.urlencode({k: str(v).lower() for k, v in query.items()})
    return server.rstrip("/") + POLICIES + path + (f"?{flags}" if flags else "")


def _required(key: str | None) -> str:
    if not key:
        raise CpolError(NO_KEY)
    return key


def _value(value: object) -> str:
    return escape(json.dumps(value, ensure_ascii=False))


def plan_lines(plan: dict[str, Any]) -> list[str]:
    """An import's answer as a diff: `+` created, `~` a changed field, `-` deleted, `=` the rest."""
    lines = [f"+ created {escape(name)}" for name in plan["created"]]
    lines += [
        f"~ {escape(c['name'])}: {escape(c['field'])} {_value(c['from'])} → {_value(c['to'])}"
        for c in plan["changes"]
    ]
    lines += [f"- deleted {escape(name)}" for name in plan["deleted"]]
    return [*lines, f"= {plan['unchanged']} unchanged"]


def report_rejection(server: str, rejected: Rejected, names: Sequence[str] = ()) -> NoReturn:
    """The server's problems as `cpol check` shows diagnostics (the JSON path in the sent
    array, the policy's name as a hint), or its one-line message when it lists none."""
    details = rejected.error.get("details") or []
    if rejected.status != 400 or not details:
        raise CpolError(f"{server} refused: {rejected.status} {rejected.error.get('message', '')}")
    report([_diagnostic(server, detail, names) for detail in details], [])
    raise SystemExit(EXIT_PROBLEM)


def _diagnostic(server: str, detail: dict[str, Any], names: Sequence[str]) -> Diagnostic:
    path = detail.get("path")
    hint = None
    if isinstance(path, str) and path.startswith("["):
        index = path[1 : path.find("]")]
        if index.isdigit() and int(index) < len(names):
            hint = f"in policy {names[int(index)]!r}"
    return Diagnostic(str(detail.get("message", "")), file=server, path=path, hint=hint)


@click.command()
@files_argument
@imports_option
@click.option(
    "--server", required=True, metavar="URL", help="The service's root, e.g. http://127.0.0.1:8080."
)
@click.option(
    "--key", envvar="CPOL_API_KEY", metavar="KEY", help="An admin API key (default: $CPOL_API_KEY)."
)
@click.option("--dry-run", is_flag=True, help="Print the plan of changes; change nothing.")
@click.option("--prune", is_flag=True, help="Delete the server's policies that no FILE names.")
def push(
    files: tuple[str, ...], roots: tuple[str, ...], server: str, key: str | None, dry_run: bool, prune: bool
) -> None:
    """Make the server's policies those of FILEs (matched by name) and print the plan.

    All or nothing: a policy the server refuses rejects the whole push (exit 1).
    """
    key = _required(key)
    policies = load_or_exit(files, roots)
    body = json.dumps(cpol.to_json(policies), ensure_ascii=False).encode()
    url = _endpoint(server, "/import", dryRun=dry_run, prune=prune)
    try:
        answer = call(url, key, body=body, headers={"Content-Type": "application/json"})
    except Rejected as rejected:
        report_rejection(server, rejected, [p.name for p in policies])
    emit("\n".join(plan_lines(json.loads(answer))) + "\n")


@click.command()
@click.option(
    "--server", required=True, metavar="URL", help="The service's root, e.g. http://127.0.0.1:8080."
)
@click.option("--key", envvar="CPOL_API_KEY", metavar="KEY", help="An API key (default: $CPOL_API_KEY).")
@output_option("the .cpol file")
def pull(server: str, key: str | None, output: str) -> None:
    """Write the server's live policies as one canonical .cpol file."""
    key = _required(key)
    try:
        text = call(_endpoint(server, "/export"), key, headers={"Accept": "text/x-cpol"})
    except Rejected as rejected:
        report_rejection(server, rejected)
    write_output(output, text.decode("utf-8"))

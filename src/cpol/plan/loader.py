"""Loading a JSON policy file into plan models, and writing it back.

A file is a JSON array of policies, the API's list response `{"data": [...], "pagination":
{...}}`, or one policy object (SPEC §1). Every problem in every policy is reported at once,
as `Diagnostics`, with a JSON path into the file; no other exception escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cpol.diagnostics import Diagnostic, Diagnostics, json_path
from cpol.plan.base import Loc
from cpol.plan.jsontext import decode_json, unpaired_surrogates
from cpol.plan.models import Policy, PolicyBase
from cpol.plan.validation import PolicyInvalid, Problem, duplicate_names, parse_policy

SHAPES = 'a JSON array of policies, an API list response {"data": [...]} or one policy object'


def is_policy_document(data: object) -> bool:
    """Whether decoded JSON has a policy file's shape: an array, `{"data": ...}`, or an object
    with a `ruleType`. (An evaluation request, a catalogue or any other object has none.)"""
    return isinstance(data, list) or (isinstance(data, dict) and ("data" in data or "ruleType" in data))


def _entries(data: object, file: str) -> list[tuple[Loc, object]]:
    """Each raw policy with the path of its object in the file."""
    if isinstance(data, list):
        return [((index,), item) for index, item in enumerate(data)]
    if isinstance(data, dict) and "data" in data:
        items = data["data"]
        if not isinstance(items, list):
            raise Diagnostics([Diagnostic("data must be a list of policies", file, path="data")])
        return [(("data", index), item) for index, item in enumerate(items)]
    if isinstance(data, dict):
        return [((), data)]
    raise Diagnostics([Diagnostic(f"expected {SHAPES}", file, hint=_shape_hint(data))])


def _shape_hint(data: object) -> str:
    return f"the input is a JSON {_JSON_KINDS.get(type(data), 'value')}"


_JSON_KINDS = {
    type(None): "null", bool: "boolean", int: "number", float: "number", str: "string", list: "array",
}  # fmt: skip


def _problem_diagnostic(problem: Problem, prefix: Loc, file: str) -> Diagnostic:
    path = json_path((*prefix, *problem.loc)) or None
    return Diagnostic(problem.message, file, path=path, hint=problem.hint)


def _duplicate_diagnostics(loaded: list[tuple[Loc, Policy]], file: str) -> list[Diagnostic]:
    policies = [policy for _, policy in loaded]
    diagnostics = []
    for first, duplicate in duplicate_names(policies):
        name = policies[duplicate].name
        first_path = json_path((*loaded[first][0], "name"))
        diagnostics.append(
            Diagnostic(
                f"duplicate policy name `{name}`",
                file,
                path=json_path((*loaded[duplicate][0], "name")),
                hint=f"first used at {first_path}",
            )
        )
    return diagnostics


def load_json(source: str | bytes | object, file: str = "<input>") -> list[Policy]:
    """Policies from JSON text (str or bytes) or an already-decoded value.

    Raises Diagnostics listing every problem of every policy, plus duplicate names.
    """
    return [policy for _, policy in load_json_located(source, file)]


def load_json_located(source: str | bytes | object, file: str = "<input>") -> list[tuple[Loc, Policy]]:
    """Like `load_json`, each policy with the JSON path of its object (`(3,)`, `("data", 3)`)."""
    diagnostics: list[Diagnostic] = []
    data = source
    if isinstance(source, str | bytes | bytearray):
        text = bytes(source) if isinstance(source, bytearray) else source
        data, diagnostics = decode_json(text, file)
    elif broken := unpaired_surrogates(data, file):
        raise Diagnostics(broken)
    try:
        entries = _entries(data, file)
    except Diagnostics as exc:
        raise Diagnostics(diagnostics + exc.items) from None
    loaded: list[tuple[Loc, Policy]] = []
    for prefix, raw in entries:
        try:
            loaded.append((prefix, parse_policy(raw)))
        except PolicyInvalid as exc:
            diagnostics += [_problem_diagnostic(p, prefix, file) for p in exc.problems]
    diagnostics += _duplicate_diagnostics(loaded, file)
    if diagnostics:
        raise Diagnostics(diagnostics)
    return loaded


def to_json(policies: Iterable[PolicyBase]) -> list[dict[str, Any]]:
    """The policies as a JSON array (list of dicts), exactly as they were loaded."""
    return [policy.to_json() for policy in policies]

"""Turning one raw policy object into a `Policy`, or into every problem it has.

Used by the JSON loader and by the compiler (which builds raw dicts from `.cpol` source), so
both report the same problems in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ConfigDict, ValidationError

from cpol.diagnostics import did_you_mean, json_path
from cpol.plan.base import Loc, friendly
from cpol.plan.configs import RuleConfig
from cpol.plan.models import POLICY_MODELS, RULE_TYPES, Policy, PolicyBase


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a policy; `loc` is the path inside that policy object."""

    loc: Loc
    message: str
    hint: str | None = None

    def render(self) -> str:
        return f"{json_path(self.loc) or '<policy>'}: {self.message}"


class PolicyInvalid(Exception):
    """Raised by `parse_policy`; carries every problem found in the policy."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(problem.render() for problem in problems))


class _OpaqueConfig(RuleConfig):
    """The config of a policy whose ruleType is unknown: its keys cannot be checked."""

    model_config = ConfigDict(extra="allow")


class _UnknownRulePolicy(PolicyBase):
    """Validates the top-level fields of a policy whose ruleType is missing or unknown."""

    config: _OpaqueConfig


def _rule_type_problems(rule_type: object) -> list[Problem]:
    if not isinstance(rule_type, str) or rule_type in POLICY_MODELS:
        return []  # missing or mistyped: reported by the model itself
    hint = did_you_mean(rule_type, RULE_TYPES) or f"known rule types: {', '.join(RULE_TYPES)}"
    return [Problem(("ruleType",), f"unknown ruleType `{rule_type}`", hint)]


def _model_for(rule_type: object) -> type[PolicyBase]:
    model = POLICY_MODELS.get(rule_type) if isinstance(rule_type, str) else None
    return model or _UnknownRulePolicy


def problems_from(exc: ValidationError) -> list[Problem]:
    """The errors of a plan model's ValidationError as Problems."""
    return [Problem(tuple(error["loc"]), *friendly(error)) for error in exc.errors()]


def parse_policy(raw: object) -> Policy:
    """Validate one raw policy object (decoded JSON) against SPEC §1 and §2.1.

    Raises PolicyInvalid with every problem of the policy, never just the first.
    """
    if not isinstance(raw, dict):
        raise PolicyInvalid([Problem((), "a policy must be a JSON object")])
    rule_type: Any = raw.get("ruleType")
    problems = _rule_type_problems(rule_type)
    try:
        policy = _model_for(rule_type).model_validate(raw)
    except ValidationError as exc:
        problems += problems_from(exc)
    except RecursionError:
        problems.append(Problem((), "the policy is nested too deeply"))
    if problems:
        raise PolicyInvalid(problems)
    return cast(Policy, policy)


def name_key(tenant_id: object, name: object, deleted_at: object) -> tuple[object, object] | None:
    """What must be unique: the name within its tenant, among live policies only."""
    return None if deleted_at is not None else (tenant_id, name)


def duplicate_names(policies: Sequence[PolicyBase]) -> list[tuple[int, int]]:
    """(index of first, index of duplicate) for each policy whose name is already taken.

    Names are unique per tenant among live policies, so a soft-deleted policy (deletedAt
    set) never clashes, and policies of different tenantIds never clash.
    """
    first: dict[tuple[object, object], int] = {}
    duplicates: list[tuple[int, int]] = []
    for index, policy in enumerate(policies):
        key = name_key(policy.tenantId, policy.name, policy.deletedAt)
        if key is None:
            continue
        if key in first:
            duplicates.append((first[key], index))
        else:
            first[key] = index
    return duplicates

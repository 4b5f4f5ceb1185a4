"""Decisions and trace entries, and their JSON form (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from cpol.runtime.clock import format_instant
from cpol.runtime.request import Candidate
from cpol.runtime.verdict import Verdict


def _instant(epoch: float | None) -> str | None:
    return format_instant(epoch) if epoch is not None else None


class Entry:
    """One policy's (or gate's) result for one candidate; `eligible_at` in epoch seconds.

    An entry made from a verdict (`Entry.of`) puts the verdict's sentence and details into
    words only when they are read: explain mode makes an entry for every policy a candidate
    is in scope of, and most of them are never printed."""

    __slots__ = (
        "_details",
        "_reason",
        "_verdict",
        "eligible_at",
        "policy_id",
        "policy_name",
        "priority",
        "result",
        "rule_type",
    )

    def __init__(
        self,
        policy_id: str | None,
        policy_name: str,
        rule_type: str,
        priority: int | None,
        result: str,
        reason: str,
        details: dict[str, Any],
        eligible_at: float | None,
    ) -> None:
        self.policy_id, self.policy_name, self.rule_type = policy_id, policy_name, rule_type
        self.priority, self.result, self.eligible_at = priority, result, eligible_at
        self._reason, self._details = reason, details
        self._verdict: Verdict | None = None

    @classmethod
    def of(
        cls,
        policy_id: str | None,
        policy_name: str,
        rule_type: str,
        priority: int | None,
        result: str,
        verdict: Verdict,
        eligible_at: float | None,
    ) -> Entry:
        """The entry of a verdict, its words still unsaid."""
        entry = cls(policy_id, policy_name, rule_type, priority, result, "", {}, eligible_at)
        entry._verdict = verdict
        return entry

    @property
    def reason(self) -> str:
        if self._verdict is not None:
            self._say()
        return self._reason

    @property
    def details(self) -> dict[str, Any]:
        if self._verdict is not None:
            self._say()
        return self._details

    def _say(self) -> None:
        verdict, self._verdict = self._verdict, None
        assert verdict is not None
        self._reason, self._details = verdict.reason, dict(verdict.details)

    def _fields(self) -> tuple[object, ...]:
        return (
            self.policy_id,
            self.policy_name,
            self.rule_type,
            self.priority,
            self.result,
            self.reason,
            self.details,
            self.eligible_at,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        return f"Entry{self._fields()!r}"

    def blocked_by_json(self) -> dict[str, Any]:
        return {
            "policyId": self.policy_id,
            "policyName": self.policy_name,
            "ruleType": self.rule_type,
            "reason": self.reason,
            "details": self.details,
            "eligibleAt": _instant(self.eligible_at),
        }

    def trace_json(self) -> dict[str, Any]:
        return {
            "policyId": self.policy_id,
            "policyName": self.policy_name,
            "ruleType": self.rule_type,
            "priority": self.priority,
            "result": self.result,
            "reason": self.reason,
            "details": self.details,
            "eligibleAt": _instant(self.eligible_at),
        }


@dataclass(slots=True)
class Decision:
    """The verdict on one candidate; `trace` is None unless explain mode built it.

    `sent` is the candidate as the caller wrote it (echoed back with unknown fields), when
    the request came as JSON; otherwise the parsed candidate is echoed.
    """

    candidate: Candidate
    sent: dict[str, Any] | None
    allowed: bool
    blocked_by: list[Entry]
    overridden_by: str | None
    eligible_at: float | None
    trace: list[Entry] | None

    def to_json(self) -> dict[str, Any]:
        echo = self.sent if self.sent is not None else msgspec.to_builtins(self.candidate)  # no defaults
        out: dict[str, Any] = {
            "candidate": echo,
            "allowed": self.allowed,
            "blockedBy": [entry.blocked_by_json() for entry in self.blocked_by],
            "overriddenBy": self.overridden_by,
            "eligibleAt": _instant(self.eligible_at),
        }
        if self.trace is not None:
            out["trace"] = [entry.trace_json() for entry in self.trace]
        return out

"""Decisions and trace entries, and their JSON form (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from cpol.runtime.clock import format_instant
from cpol.runtime.request import Candidate


def _instant(epoch: float | None) -> str | None:
    return format_instant(epoch) if epoch is not None else None


@dataclass(slots=True)
class Entry:
    """One policy's (or gate's) result for one candidate; `eligible_at` in epoch seconds."""

    policy_id: str | None
    policy_name: str
    rule_type: str
    priority: int | None
    result: str
    reason: str
    details: dict[str, Any]
    eligible_at: float | None

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

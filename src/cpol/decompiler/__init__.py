"""The decompiler: plan policies -> canonical `.cpol`, checked by parsing it back.

The check re-parses the printed text and lowers it to plan dictionaries, which must equal
the policies' JSON exactly. Validation is not re-run: the input was a valid plan, and a
lowered dictionary equal to a valid plan's JSON validates to that same plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from cpol.compiler.compile import lower_source
from cpol.decompiler.printer import render_policies
from cpol.plan import Policy
from cpol.plan.equality import identical


class DecompileError(RuntimeError):
    """The printed text would not compile back to the same plan: a bug, never silent."""


def to_cpol(policies: Sequence[Policy]) -> str:
    """Print policies as `.cpol`; refuses to return text that means something else."""
    plan = [policy.to_json() for policy in policies]
    text = render_policies(plan)
    again = lower_source(text, "<decompiled>", positions=False)
    if again.diagnostics:
        problems = "\n".join(d.render() for d in again.diagnostics)
        raise DecompileError(f"decompiled text does not compile:\n{problems}")
    if not identical([lowered.raw for lowered in again.policies], plan):
        raise DecompileError("decompiled text compiles to a different plan")
    return text


__all__ = ["DecompileError", "to_cpol"]

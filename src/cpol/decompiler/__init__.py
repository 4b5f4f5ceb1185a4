"""The decompiler: plan policies -> canonical `.cpol`, checked by compiling it back."""

from __future__ import annotations

from collections.abc import Sequence

from cpol.compiler.compile import compile_source
from cpol.decompiler.printer import render_policies
from cpol.diagnostics import Diagnostics
from cpol.plan import Policy


class DecompileError(RuntimeError):
    """The printed text would not compile back to the same plan: a bug, never silent."""


def to_cpol(policies: Sequence[Policy]) -> str:
    """Print policies as `.cpol`; refuses to return text that means something else."""
    plan = [policy.to_json() for policy in policies]
    text = render_policies(plan)
    try:
        again = [policy.to_json() for policy in compile_source(text, "<decompiled>")]
    except Diagnostics as problems:
        raise DecompileError(f"decompiled text does not compile:\n{problems}") from None
    if again != plan:
        raise DecompileError("decompiled text compiles to a different plan")
    return text


__all__ = ["DecompileError", "to_cpol"]

"""cpol: a language, compiler and engine for marketing contact policies.

The Python API mirrors the command line: compile `.cpol` text or files to the JSON plan,
load JSON policies, print policies back as `.cpol`, format source, and decide requests with
an `Engine` built once from a policy set.
"""

from cpol.compiler.compile import compile_files, compile_source
from cpol.decompiler import DecompileError, to_cpol
from cpol.diagnostics import Diagnostic, Diagnostics
from cpol.formatter import FormatError, format_source
from cpol.plan import Policy, load_json, plan_json_schema, to_json
from cpol.runtime import Engine

__version__ = "0.1.0"

__all__ = [
    "DecompileError",
    "Diagnostic",
    "Diagnostics",
    "Engine",
    "FormatError",
    "Policy",
    "compile_files",
    "compile_source",
    "format_source",
    "load_json",
    "plan_json_schema",
    "to_cpol",
    "to_json",
]

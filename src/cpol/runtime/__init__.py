"""The runtime: a compiled policy set decides, per candidate, whether it may be sent."""

from cpol.runtime.decision import Decision, Entry
from cpol.runtime.engine import Engine, evaluation_order
from cpol.runtime.request import Request, parse_request

__all__ = ["Decision", "Engine", "Entry", "Request", "evaluation_order", "parse_request"]

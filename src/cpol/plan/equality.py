"""Exact equality of JSON values: `3` is not `3.0`, and `true` is not `1`.

Python's `==` says both pairs are equal; a lossless round trip must tell them apart.
"""

from __future__ import annotations


def identical(left: object, right: object) -> bool:
    """True when both JSON values have the same structure, types and values."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        assert isinstance(right, dict)
        return left.keys() == right.keys() and all(identical(v, right[k]) for k, v in left.items())
    if isinstance(left, list):
        assert isinstance(right, list)
        return len(left) == len(right) and all(map(identical, left, right))
    return left == right

"""The request rules of SPEC §2 as pydantic models: the reader that says what is wrong.

`cpol.runtime.request` reads valid requests at C speed; when that reader refuses one,
these models read it again to report every problem with its JSON path, e.g.
`interactions[3].timestamp: must be an ISO 8601 timestamp`, never as a traceback. Both
readers accept exactly the same requests (tests/runtime/test_request_parity.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from cpol.diagnostics import Diagnostic, Diagnostics, json_path
from cpol.plan.jsontext import decode_json, unpaired_surrogates, walk
from cpol.runtime.clock import parse_instant


def _instant(value: object) -> datetime:
    if isinstance(value, datetime):
        return parse_instant(value.isoformat())
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 timestamp string such as 2026-03-20T14:00:00Z")
    try:
        return parse_instant(value)
    except ValueError:
        raise ValueError(
            f"`{value}` is not an ISO 8601 timestamp (for example 2026-03-20T14:00:00Z)"
        ) from None


Instant = Annotated[datetime, BeforeValidator(_instant)]
Id = Annotated[str, Field(strict=True)]


_OPTIONAL: dict[type, set[str]] = {}  # per model: its fields that may be omitted


class _Model(BaseModel):
    """Unknown fields are ignored; an optional field sent as null counts as omitted (its
    default is None, so null and omitted read the same)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class _NullMeansDefault(_Model):
    """A model with optional fields whose default is not None (`[]`, `False`, `"global"`):
    null there counts as omitted too. A Python call per object, so a model whose optional
    fields all default to None (Interaction, a request's hundreds of objects) does without."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if None not in data.values():
            return data
        optional = _OPTIONAL.get(cls)
        if optional is None:
            optional = _OPTIONAL[cls] = {n for n, info in cls.model_fields.items() if not info.is_required()}
        return {key: value for key, value in data.items() if value is not None or key not in optional}


class Customer(_NullMeansDefault):
    id: Id
    timezone: str | None = None
    segments: list[Id] = []
    metrics: dict[str, Any] = {}
    dnc: list[Id] = []
    consent: dict[str, str | None] = {}


class Interaction(_Model):
    """One past contact or outcome."""

    id: str | None = None
    timestamp: Instant
    outcome: Id
    offerId: str | None = None
    channelId: str | None = None
    creativeId: str | None = None
    categoryId: str | None = None
    subCategoryId: str | None = None
    offerCategory: str | None = None
    campaignId: str | None = None


class Candidate(_NullMeansDefault):
    offerId: Id
    channelId: str | None = None
    channelType: str | None = None
    creativeId: str | None = None
    categoryId: str | None = None
    subCategoryId: str | None = None
    offerCategory: str | None = None
    isMandatory: bool = False


class Suppression(_NullMeansDefault):
    id: str | None = None
    scope: str = "global"
    scopeId: str | None = None
    offerName: str | None = None
    policyType: str | None = None
    reason: str | None = None
    expiresAt: Instant | None = None
    isActive: bool | None = None


class Session(_NullMeansDefault):
    servedOfferIds: list[Id] = []


class Request(_NullMeansDefault):
    now: Instant
    customer: Customer
    interactions: list[Interaction] = []
    budgets: dict[str, dict[str, int | float | None]] = {}
    suppressions: list[Suppression] = []
    session: Session = Session()
    candidates: list[Candidate]


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "int_type": "must be a number",
    "float_type": "must be a number",
}


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return _MESSAGES.get(error["type"], str(error["msg"]).lower())


def _location(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union-branch labels (`int`, `float`) from a path."""
    return tuple(part for part in loc if part not in ("int", "float", "str", "function-after"))


def read_json(source: str | bytes, file: str) -> object:
    """Decoded JSON text, refused with every problem's place when it repeats a key or spells
    a number JSON cannot carry (`NaN`, `Infinity`, `1e400`: Python's decoder takes them)."""
    data, repeated = decode_json(source, file)
    problems = repeated + non_finite_numbers(data, file)
    if problems:
        raise Diagnostics(problems)
    return data


def non_finite_numbers(value: object, file: str) -> list[Diagnostic]:
    """Every NaN or infinite number in a decoded value, at its path."""
    return [
        Diagnostic(
            f"is not a finite number ({item}): JSON has no NaN or Infinity",
            file,
            path=json_path(loc) or "(root)",
        )
        for item, loc in walk(value)
        if isinstance(item, float) and not math.isfinite(item)
    ]


def checked(data: object, file: str) -> Request:
    """The request as these models read it, or Diagnostics naming every problem."""
    if broken := unpaired_surrogates(data, file):
        raise Diagnostics(broken)
    try:
        return Request.model_validate(data)
    except ValidationError as invalid:
        items = [
            Diagnostic(_message(e), file, path=json_path(_location(tuple(e["loc"]))) or "(root)")
            for e in invalid.errors()
        ]
        raise Diagnostics(items) from None

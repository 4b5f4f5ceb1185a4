"""The base of every plan model: strict, frozen, and reporting every problem at once.

Pydantic stops a model's own checks when a field fails, and words unknown keys its own way.
`CheckedModel` runs its cross-field requirements and unknown-key checks on the raw input
*alongside* field validation, then re-raises everything in cpol's wording, so a user sees
all the problems of a policy in one go.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ModelWrapValidatorHandler, model_validator
from pydantic_core import ErrorDetails, InitErrorDetails, ValidationError

from cpol.diagnostics import did_you_mean
from cpol.plan.fields import CPOL_ERROR, problem

Loc = tuple[str | int, ...]


def line_error(loc: Loc, message: str, hint: str | None = None, value: object = None) -> InitErrorDetails:
    """One entry of a ValidationError, in cpol's wording."""
    return {"type": problem(message, hint), "loc": loc, "input": value}


def friendly(error: ErrorDetails) -> tuple[str, str | None]:
    """Message and hint for a pydantic error: ours verbatim, pydantic's own ones reworded."""
    ctx = error.get("ctx") or {}
    if error["type"] == CPOL_ERROR:
        return str(ctx["message"]), ctx.get("hint")
    field = next((part for part in reversed(error["loc"]) if isinstance(part, str)), "value")
    reworded = {
        "missing": f"{field} is required",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "dict_type": "must be an object",
        "list_type": "must be a list",
        "extra_forbidden": f"unknown field `{field}`",
        "literal_error": f"{field} must be {ctx.get('expected', 'one of its allowed values')}",
    }
    return reworded.get(error["type"], f"{field} is not valid"), None


def relabel(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of `exc`, each converted to cpol's wording (idempotent)."""
    return [line_error(tuple(err["loc"]), *friendly(err), value=err.get("input")) for err in exc.errors()]


class CheckedModel(BaseModel):
    """A plan model: extra keys forbidden, immutable, errors collected and reworded."""

    model_config = ConfigDict(extra="forbid", frozen=True, field_title_generator=lambda name, _info: name)

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str | None]:
        """Message and hint for a key this model does not know."""
        return f"unknown field `{key}`", did_you_mean(key, cls.model_fields)

    @classmethod
    def prepare(cls, data: dict[Any, Any]) -> dict[Any, Any]:
        """Normalise raw input before any check (configs drop null values here)."""
        return data

    @classmethod
    def requirement_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        """Cross-field rules, checked on the raw input so they run even when a field fails."""
        return []

    @classmethod
    def _unknown_key_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        if cls.model_config.get("extra") != "forbid":
            return []
        unknown = [str(key) for key in data if key not in cls.model_fields]
        return [line_error((key,), *cls.unknown_key(key)) for key in unknown]

    @model_validator(mode="wrap")
    @classmethod
    def _validate_all(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        errors: list[InitErrorDetails] = []
        if isinstance(data, dict):
            data = cls.prepare(data)
            errors = cls._unknown_key_errors(data) + cls.requirement_errors(data)
            if cls.model_config.get("extra") == "forbid":
                data = {key: value for key, value in data.items() if key in cls.model_fields}
        try:
            model = handler(data)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(cls.__name__, relabel(exc) + errors) from None
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return model

"""Checking a JSON object body against the pydantic model of its fields (SPEC §5.2).

The models (in `schemas`) also describe the bodies in `/openapi.json`, so the documented
shape and the checked one are the same. Every problem is listed at its JSON path, in the
service's words; an unknown field is an error, never dropped, and a server field (`id`,
timestamps) gets a message of its own.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cpol.diagnostics import json_path
from cpol.runtime.request_check import non_finite_numbers
from cpol.server.errors import ApiError, ErrorDetail, diagnostic_details

SERVER_FIELDS = ("id", "createdAt", "updatedAt")
MESSAGES = {
    "missing": "required",
    "string_type": "must be a string",
    "dict_type": "must be a JSON object",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "literal_error": "must be one of {expected}",
}
Model = TypeVar("Model", bound=BaseModel)


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":  # the list names the body's fields, not a nested object's
        fields = f" (the fields are {', '.join(model.model_fields)})" if len(error["loc"]) == 1 else ""
        return "unknown field" + fields
    template = MESSAGES.get(error["type"])
    return template.format(**error.get("ctx", {})) if template else error["msg"]


def _server_fields(fields: dict[str, Any], path_id: str | None) -> list[ErrorDetail]:
    """A server field given: 400, except an `id` equal to the path's (it says the same)."""
    details = []
    for key in (k for k in SERVER_FIELDS if k in fields):
        if key != "id" or path_id is None:
            details.append(ErrorDetail(path=key, message="this field is set by the server"))
        elif fields[key] != path_id:
            details.append(ErrorDetail(path=key, message="is not the path's id"))
    return details


def parsed(model: type[Model], fields: dict[str, Any], what: str, path_id: str | None = None) -> Model:
    """`fields` as `model`, or a 400 ("the {what} is invalid") listing every problem."""
    details = _server_fields(fields, path_id)
    problem = f"the {what} is invalid"
    try:
        value = model.model_validate({k: v for k, v in fields.items() if k not in SERVER_FIELDS})
    except ValidationError as invalid:
        details += [
            ErrorDetail(path=json_path(e["loc"]) or None, message=_message(e, model))
            for e in invalid.errors()
        ]
        raise ApiError(400, problem, details) from None
    # a number JSON cannot carry (a 400-digit integer decodes as infinity) in a free-form value
    details += diagnostic_details(non_finite_numbers(fields, "<body>"))
    if details:
        raise ApiError(400, problem, details)
    return value

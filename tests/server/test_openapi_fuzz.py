"""Requests generated from the running server's `/openapi.json` (schemathesis), for every
operation it documents: requests that fit the schema and requests that break it, with an
admin key of a tenant that has real objects, their ids sometimes in the path. Every answer
is below 500, has a status the operation documents, and a body that fits the documented
schema (an error's, the §5.2 shape and the code its status names)."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cpol.server.errors import CODES

from .client import KeyMaker, Server
from .operations import DOCUMENTED, Operation, World, object_of, operations

PROFILE = settings()
#: Per operation: a fifth of the profile's examples (`dev` 20, `ci` 100).
EXAMPLES = max(10, PROFILE.max_examples // 5)
FILTERED = HealthCheck.filter_too_much
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: What a 409 may say (SPEC §5.2), besides `conflict`.
OTHER_CODES = {409: {"version_conflict"}}


@cache
def _document(base: str) -> dict[str, Any]:
    reply = requests.get(base + "/openapi.json", timeout=60)
    reply.raise_for_status()
    document: dict[str, Any] = reply.json()
    return document


def _closed(node: Any) -> Any:
    """A schema in which an object that lists its properties has no others, unless it says
    so (`additionalProperties`): an answer's every field must be documented."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    closed = {key: _closed(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
        closed["additionalProperties"] = False
    return closed


@cache
def _schema(base: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_dict(_closed(_document(base)))


def _check_error(response: requests.Response) -> None:
    """A §5.2 error body: exactly `{"error": {"code", "message", "details": [{"path",
    "message"}]}}`, its code the one its status names."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, body
    assert error["code"] in {CODES[response.status_code], *OTHER_CODES.get(response.status_code, ())}, body
    assert isinstance(error["message"], str) and error["message"], body
    for detail in error["details"]:
        assert set(detail) == {"path", "message"}, body
        assert isinstance(detail["path"], str | None) and isinstance(detail["message"], str), body


def test_the_server_documents_every_operation_these_tests_walk(server: Server) -> None:
    """The operations collected from the app are the running server's, none missed."""
    assert operations(_document(server.base)) == DOCUMENTED


def test_no_operation_documents_an_answer_the_server_never_gives(server: Server) -> None:
    """Validation problems are 400s (SPEC §5.2), never FastAPI's 422; every error answer
    is documented as the §5.2 body."""
    for path, item in _document(server.base)["paths"].items():
        for method, operation in item.items():
            assert "422" not in operation["responses"], f"{method.upper()} {path} documents a 422"
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


@pytest.mark.parametrize("operation", DOCUMENTED, ids=str)
def test_generated_requests_get_documented_answers(
    server: Server, make_key: KeyMaker, operation: Operation
) -> None:
    api = _schema(server.base)[operation.path][operation.method]
    world = World(server, make_key(f"t_{uuid.uuid4().hex[:12]}"))
    auth = {"Authorization": f"Bearer {world.key}"}
    cases = api.as_strategy() | api.as_strategy(GenerationMode.NEGATIVE)

    # an operation with nothing to break (no parameters, no body) has few invalid requests
    @settings(max_examples=EXAMPLES, suppress_health_check=[*PROFILE.suppress_health_check, FILTERED])
    @given(case=cases, data=st.data())
    def answered_as_documented(case: Any, data: st.DataObject) -> None:
        for parameter in operation.parameters:
            if data.draw(st.booleans(), label=f"{parameter} names a real object"):
                case.path_parameters[parameter] = getattr(world, object_of(operation, parameter))
        response = case.call(base_url=server.base, headers=auth)
        case.validate_response(response, checks=CHECKS)
        if response.status_code >= 400:
            _check_error(response)

    answered_as_documented()

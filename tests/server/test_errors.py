"""Errors and bodies (SPEC §5.2): one JSON shape for every error, 413, 415, malformed JSON
with line and column, and validation details at the paths `cpol check` reports."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .client import POLICIES, Server, email_cap

LIMIT = 1024 * 1024


def _raw(server: Server) -> http.client.HTTPConnection:
    address = urlsplit(server.base)
    return http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)


def test_unknown_routes_and_methods(server: Server, admin: str) -> None:
    for path in ("/nope", "/api/v1/nope", "/api/v2/contact-policies"):
        reply = server.call("GET", path, key=admin)
        assert reply.status == 404 and reply.error["code"] == "not_found"
    reply = server.call("PATCH", POLICIES, key=admin)
    assert reply.status == 405 and reply.error["code"] == "method_not_allowed"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/xml", "multipart/form-data"])
def test_other_media_types_are_415(server: Server, admin: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(email_cap()).encode()
    for method in ("POST", "PUT"):
        reply = server.call(method, POLICIES, key=admin, data=body, headers=headers)
        assert reply.status == 415, (method, content_type)
        assert reply.error["code"] == "unsupported_media_type"


def test_json_with_a_charset_is_accepted(server: Server, admin: str) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    reply = server.call("POST", POLICIES, key=admin, data=json.dumps(email_cap()).encode(), headers=headers)
    assert reply.status == 201


def test_a_declared_length_over_the_limit_is_413_before_reading(server: Server, admin: str) -> None:
    connection = _raw(server)
    try:
        connection.putrequest("POST", POLICIES)
        for name, value in (
            ("Authorization", f"Bearer {admin}"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(LIMIT + 1)),
        ):
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["code"] == "payload_too_large"
    finally:
        connection.close()


def test_a_streamed_body_over_the_limit_is_413(server: Server, admin: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(LIMIT // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    connection = _raw(server)
    try:
        headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
        connection.request("POST", POLICIES, body=chunks(), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["code"] == "payload_too_large"
    finally:
        connection.close()


def test_a_body_just_under_the_limit_is_read(server: Server, admin: str) -> None:
    body = email_cap(description="x" * (LIMIT - 1000))
    reply = server.call("POST", POLICIES, key=admin, json_body=body)
    assert reply.status == 201


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "name": "x",\n  "ruleType": }', 3, 15),
        ("{", 1, 2),
        ("", 1, 1),
        ('{"name": "x",}', 1, 14),
        ("[1, 2", 1, 6),
    ],
)
def test_malformed_json_is_400_with_line_and_column(
    server: Server, admin: str, text: str, line: int, column: int
) -> None:
    headers = {"Content-Type": "application/json"}
    for method in ("POST", "PUT"):
        reply = server.call(method, POLICIES, key=admin, data=text.encode(), headers=headers)
        assert reply.status == 400
        error = reply.error
        assert error["code"] == "validation_error"
        assert f"line {line}, column {column}" in error["message"], error


def test_bodies_that_are_not_one_object(server: Server, admin: str) -> None:
    for body in ([email_cap()], "x", 1, None):
        reply = server.call(
            "POST",
            POLICIES,
            key=admin,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert reply.status == 400, body
    repeated = b'{"name": "a", "name": "b", "ruleType": "cooldown", "config": {"cooldownHours": 1}}'
    reply = server.call(
        "POST", POLICIES, key=admin, data=repeated, headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400 and reply.error["details"][0]["path"] == "name"
    broken = b'{"name": "\\ud800", "ruleType": "cooldown"}'
    assert (
        server.call(
            "POST", POLICIES, key=admin, data=broken, headers={"Content-Type": "application/json"}
        ).status
        == 400
    )


INVALID = [
    {"name": "", "ruleType": "frequency_cap", "scope": "global", "config": {"maxPerWeek": -3, "maxPerDy": 2}},
    {"name": "x", "ruleType": "cooldwn", "config": {}},
    {
        "name": "x",
        "ruleType": "time_window",
        "scope": "global",
        "config": {"timezone": "Mars/Base", "startHour": 30},
    },
    {
        "name": "x",
        "ruleType": "cooldown",
        "scope": "channel",
        "config": {"cooldownHours": "1"},
        "priority": 101,
    },
    {
        "ruleType": "outcome_based",
        "scopes": [{"scope": "offer"}],
        "config": {"afterOutcome": []},
        "status": "on",
    },
    {"name": "x", "ruleType": "frequency_cap", "scope": "global", "config": {}, "colour": "red"},
]


@pytest.mark.parametrize("policy", INVALID)
def test_validation_details_are_cpol_checks(
    server: Server, admin: str, policy: dict[str, object], tmp_path: Path
) -> None:
    """Every problem, at the JSON path and with the message `cpol check --format json` gives."""
    file = tmp_path / "p.json"
    file.write_text(json.dumps(policy))
    checked = subprocess.run(
        [sys.executable, "-m", "cpol.cli", "check", "--format", "json", str(file)],
        capture_output=True,
        text=True,
        check=False,
    )
    expected = [{"path": d.get("path"), "message": d["message"]} for d in json.loads(checked.stdout)]
    assert expected
    reply = server.call("POST", POLICIES, key=admin, json_body=policy)
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert reply.error["details"] == expected

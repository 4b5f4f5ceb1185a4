"""An HTTP client for the test server (urllib: nothing beyond the standard library)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Headers = dict[str, str]
KeyMaker = Callable[..., str]


@dataclass
class Reply:
    status: int
    body: bytes
    headers: Headers = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        """The §5.2 error object, checked for its shape."""
        error = self.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert all(set(d) == {"path", "message"} for d in error["details"])
        return dict(error)


@dataclass
class Server:
    base: str
    db_url: str

    def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        json_body: object = None,
        data: bytes | None = None,
        headers: Headers | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if key is not None:
            sent.setdefault("Authorization", f"Bearer {key}")
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base + path, data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), dict(error.headers))


POLICIES = "/api/v1/contact-policies"


def email_cap(name: str = "Email Weekly Cap", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "No more than 3 emails per week per customer.",
        "scope": "channel",
        "scopeId": "ch_email",
        "ruleType": "frequency_cap",
        "config": {"maxPerDay": 1, "maxPerWeek": 3},
        "priority": 80,
        **fields,
    }

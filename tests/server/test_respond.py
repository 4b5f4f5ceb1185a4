"""`POST /respond` (SPEC §5.6): interactions stored as decide reads them, every problem of a
body at its path, and idempotency keys, also under concurrent retries."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .client import KeyMaker, Reply, Server
from .interactions import (
    RESPOND,
    as_decided,
    create_policy,
    interaction,
    problems,
    records,
    respond,
    stored_documents,
)
from .test_no_5xx import JSON

THREADS = 8


def test_one_interaction_is_stored_as_the_interaction_decide_reads(
    server: Server, admin: str, tenant: str
) -> None:
    offer = {"name": "Gold Card", "categoryId": "cat_cards", "offerCategory": "credit cards"}
    assert server.call("PUT", "/api/v1/offers/off_1", key=admin, json_body=offer).status == 201
    body = interaction(
        timestamp="2026-03-20T16:00:00+02:00", creativeId="cr_1", campaignId=None, categoryId="cat_x"
    )
    answer = respond(server, admin, body)
    assert answer["suppressions"] == []
    [stored] = answer["interactions"]
    assert stored["id"].startswith("ih_") and len(stored["id"]) == 19
    assert stored["timestamp"] == "2026-03-20T14:00:00.000Z"
    assert stored["customerId"] == "cust_1" and stored["idempotencyKey"] is None
    # a field given is kept (the catalogue has another), one left out comes from the catalogue,
    # and null is left out
    assert stored["categoryId"] == "cat_x" and stored["offerCategory"] == "credit cards"
    assert "campaignId" not in stored and "subCategoryId" not in stored
    [row] = stored_documents(server, tenant)
    assert row["customer"] == "cust_1"
    assert row["document"] == as_decided(stored)
    assert list(row["document"])[:5] == ["id", "timestamp", "outcome", "offerId", "channelId"]


def test_without_a_timestamp_the_server_clock_is_used(server: Server, admin: str) -> None:
    [stored] = respond(server, admin, interaction())["interactions"]
    assert stored["timestamp"] == stored["createdAt"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-03-20T14:00:00Z", "2026-03-20T14:00:00.000Z"),
        ("2026-03-20T09:30:00-04:30", "2026-03-20T14:00:00.000Z"),
        ("2026-03-20T14:00:00", "2026-03-20T14:00:00.000Z"),
        ("2026-03-20T14:00:00.1239999Z", "2026-03-20T14:00:00.124Z"),
        ("2026-03-20T14:00:00.123456Z", "2026-03-20T14:00:00.123Z"),
        ("2026-03-20", "2026-03-20T00:00:00.000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
        ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
    ],
)
def test_timestamps_are_read_as_the_runtime_reads_them_and_stored_in_utc_milliseconds(
    server: Server, admin: str, sent: str, stored: str
) -> None:
    [answered] = respond(server, admin, interaction(timestamp=sent))["interactions"]
    assert answered["timestamp"] == stored


@pytest.mark.parametrize(
    "sent", ["yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "2026-03-20T25:00:00Z", ""]
)
def test_a_timestamp_the_runtime_cannot_read_is_a_400(server: Server, admin: str, sent: str) -> None:
    reply = server.call("POST", RESPOND, key=admin, json_body=interaction(timestamp=sent))
    assert set(problems(reply)) == {"timestamp"}


def test_every_problem_of_a_batch_is_listed_at_its_path(server: Server, admin: str) -> None:
    body = {
        "interactions": [
            interaction(),
            {"customerId": 7, "offerId": "", "outcome": None, "timestamp": 1, "color": "red"},
            "an interaction",
            interaction(creativeId="x" * 256, idempotencyKey="a\u0000b", campaignId=["c"]),
        ]
    }
    assert problems(server.call("POST", RESPOND, key=admin, json_body=body)) == {
        "interactions[1].customerId": "must be a string",
        "interactions[1].offerId": "must not be empty",
        "interactions[1].channelId": "required",
        "interactions[1].outcome": "must be a string",
        "interactions[1].timestamp": "must be a string",
        "interactions[1].color": "unknown field",
        "interactions[2]": "Input should be a valid dictionary or instance of InteractionFields",
        "interactions[3].creativeId": "must be at most 255 characters",
        "interactions[3].campaignId": "must be a string",
        "interactions[3].idempotencyKey": "cannot contain the NUL character (\\u0000)",
    }


def test_unknown_fields_are_refused_at_the_top_too(server: Server, admin: str) -> None:
    single = problems(server.call("POST", RESPOND, key=admin, json_body=interaction(customer="c")))
    assert list(single) == ["customer"] and single["customer"].startswith("unknown field (the fields are")
    batch = problems(server.call("POST", RESPOND, key=admin, json_body={"interactions": [], "dryRun": True}))
    assert set(batch) == {"interactions", "dryRun"}
    assert problems(server.call("POST", RESPOND, key=admin, json_body=interaction(id="ih_1"))) == {
        "id": "this field is set by the server"
    }


@pytest.mark.parametrize("body", [[interaction()], "x", {"interactions": {"a": interaction()}}])
def test_a_body_that_is_neither_an_interaction_nor_a_batch_is_a_400(
    server: Server, admin: str, body: object
) -> None:
    assert server.call("POST", RESPOND, key=admin, json_body=body).status == 400


def test_a_batch_holds_1_to_1000_interactions(server: Server, admin: str, tenant: str) -> None:
    many = [
        interaction(customerId=f"cust_{i % 7}", timestamp=f"2026-03-20T{i % 24:02d}:00:00Z")
        for i in range(1001)
    ]
    for size in (0, 1001):
        reply = server.call("POST", RESPOND, key=admin, json_body={"interactions": many[:size]})
        assert set(problems(reply)) == {"interactions"}
    assert stored_documents(server, tenant) == []
    answer = respond(server, admin, {"interactions": many[:1000]})
    assert [i["customerId"] for i in answer["interactions"]] == [i["customerId"] for i in many[:1000]]
    assert len({i["id"] for i in answer["interactions"]}) == 1000
    assert len(stored_documents(server, tenant)) == 1000


def test_decide_reads_the_stored_rows_in_time_order(server: Server, admin: str, tenant: str) -> None:
    times = ["2026-03-20T12:00:00Z", "2026-03-19T12:00:00Z", "2026-03-20T12:00:00Z"]
    answer = respond(server, admin, {"interactions": [interaction(timestamp=t) for t in times]})
    ids = [i["id"] for i in answer["interactions"]]
    assert [r["document"]["id"] for r in stored_documents(server, tenant)] == [ids[1], ids[0], ids[2]]


def test_a_repeated_key_records_nothing_new_and_answers_the_first_result(
    server: Server, admin: str, tenant: str
) -> None:
    create_policy(
        server, admin, name="Rest", scope="global", ruleType="cooldown", config={"cooldownHours": 48}
    )
    body = interaction(idempotencyKey="retry-1")
    first = respond(server, admin, body)
    assert first["interactions"][0]["idempotencyKey"] == "retry-1"
    assert [r["triggerCount"] for r in first["suppressions"]] == [1]
    respond(server, admin, interaction(idempotencyKey="another"))  # the record moves on: triggerCount 2
    assert respond(server, admin, body) == first
    assert len(stored_documents(server, tenant)) == 2
    assert [r["triggerCount"] for r in records(server, admin)] == [2]


def test_a_batch_may_mix_retries_and_new_interactions(server: Server, admin: str, tenant: str) -> None:
    first = respond(server, admin, interaction(idempotencyKey="k1"))["interactions"][0]
    answer = respond(
        server, admin, {"interactions": [interaction(idempotencyKey="k2"), interaction(idempotencyKey="k1")]}
    )
    assert answer["interactions"][1] == first
    assert answer["interactions"][0]["idempotencyKey"] == "k2"
    assert len(stored_documents(server, tenant)) == 2


def test_a_key_reused_for_another_interaction_is_a_409(server: Server, admin: str, tenant: str) -> None:
    respond(server, admin, interaction(idempotencyKey="k1"))
    for changed in (
        interaction(idempotencyKey="k1", outcome="click"),
        interaction(idempotencyKey="k1", timestamp="2026-03-20T14:00:00Z"),
    ):
        reply = server.call("POST", RESPOND, key=admin, json_body={"interactions": [interaction(), changed]})
        assert reply.status == 409 and reply.error["code"] == "conflict"
        assert [d["path"] for d in reply.error["details"]] == ["interactions[1].idempotencyKey"]
    assert len(stored_documents(server, tenant)) == 1  # all or nothing: the first one was not recorded either


def test_a_key_twice_in_one_batch_is_a_400(server: Server, admin: str, tenant: str) -> None:
    body = {"interactions": [interaction(idempotencyKey="k"), interaction(), interaction(idempotencyKey="k")]}
    assert problems(server.call("POST", RESPOND, key=admin, json_body=body)) == {
        "interactions[2].idempotencyKey": "repeats the key of interactions[0]"
    }
    assert stored_documents(server, tenant) == []


def test_keys_belong_to_a_tenant(server: Server, admin: str, make_key: KeyMaker) -> None:
    other = make_key(f"t_{uuid.uuid4().hex[:12]}", "editor")
    mine = respond(server, admin, interaction(idempotencyKey="shared"))
    theirs = respond(server, other, interaction(idempotencyKey="shared", outcome="click"))
    assert theirs["interactions"][0]["id"] != mine["interactions"][0]["id"]


def _together(server: Server, key: str, bodies: list[Any]) -> list[Reply]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda body: server.call("POST", RESPOND, key=key, json_body=body), bodies))


def test_concurrent_retries_with_one_key_store_one_interaction_and_answer_alike(
    server: Server, admin: str, tenant: str
) -> None:
    create_policy(
        server, admin, name="Rest", scope="global", ruleType="cooldown", config={"cooldownHours": 48}
    )
    for round_ in range(5):
        body = interaction(customerId=f"cust_{round_}", idempotencyKey=f"burst-{round_}")
        replies = _together(server, admin, [body] * THREADS)
        assert {r.status for r in replies} == {201}, [r.body for r in replies]
        assert len({r.body for r in replies}) == 1
        assert [r["triggerCount"] for r in records(server, admin, f"cust_{round_}")] == [1]
    assert len(stored_documents(server, tenant)) == 5


def test_concurrent_triggers_of_one_record_are_all_counted(server: Server, admin: str) -> None:
    create_policy(
        server, admin, name="Rest", scope="global", ruleType="cooldown", config={"cooldownHours": 48}
    )
    bodies = [
        {
            "interactions": [
                interaction(customerId=c, timestamp=f"2026-03-20T{h:02d}:00:00Z") for c in ("a", "b")
            ]
        }
        for h in range(THREADS)
    ]
    assert {r.status for r in _together(server, admin, bodies)} == {201}
    for customer in ("a", "b"):
        [record] = records(server, admin, customer)
        assert record["triggerCount"] == THREADS
        assert record["expiresAt"] == f"2026-03-22T{THREADS - 1:02d}:00:00.000Z"


def test_roles(server: Server, make_key: KeyMaker, tenant: str) -> None:
    viewer = server.call("POST", RESPOND, key=make_key(tenant, "viewer"), json_body=interaction())
    assert viewer.status == 403 and viewer.error["code"] == "forbidden"
    assert server.call("POST", RESPOND, json_body=interaction()).status == 401
    assert server.call("POST", RESPOND, key=make_key(tenant, "editor"), json_body=interaction()).status == 201


FIELDS = st.sampled_from([*interaction(), "timestamp", "creativeId", "categoryId", "idempotencyKey", "id"])
BODIES = st.dictionaries(FIELDS, JSON | st.text(), max_size=4).map(lambda d: {**interaction(), **d})


@settings(max_examples=40)
@given(body=JSON | BODIES | st.lists(BODIES | JSON, max_size=3).map(lambda items: {"interactions": items}))
def test_no_body_gives_a_5xx(server: Server, make_key: KeyMaker, body: object) -> None:
    sent = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    reply = server.call("POST", RESPOND, key=make_key("t_fuzz_respond"), data=sent, headers=headers)
    assert reply.status in (201, 400, 409), reply.body
    if reply.status != 201:
        assert reply.error["code"] in ("validation_error", "conflict")

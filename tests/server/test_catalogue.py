"""The offer and channel catalogue (SPEC §5.5): create or replace by the client's id, read,
list, delete; and what decide reads from it (`catalogue.complete`)."""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpol.server import catalogue
from cpol.server.database import make_engine, transaction

from .client import KeyMaker, Server
from .paging import walk
from .test_no_5xx import JSON, TEXT

OFFERS = "/api/v1/offers"
CHANNELS = "/api/v1/channels"
JSON_TYPE = {"Content-Type": "application/json"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CARD = {
    "name": "Gold Card",
    "categoryId": "cat_cards",
    "subCategoryId": "sub_gold",
    "offerCategory": "credit cards",
}
EMAIL = {"name": "Email", "type": "email"}
KINDS = [(OFFERS, CARD), (CHANNELS, EMAIL)]
ALLOWED_TYPES = "'email', 'sms', 'whatsapp', 'rcs', 'viber', 'voice' or 'push'"


def _put(server: Server, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = server.call("PUT", path, key=key, json_body=body)
    assert reply.status in (200, 201), reply.body
    entry: dict[str, Any] = reply.json()
    return entry


@pytest.mark.parametrize(("base", "body"), KINDS)
def test_put_creates_then_replaces(server: Server, admin: str, base: str, body: dict[str, Any]) -> None:
    one = f"{base}/item_1"
    created = server.call("PUT", one, key=admin, json_body=body)
    assert created.status == 201
    entry = created.json()
    assert entry == {"id": "item_1", **body, "createdAt": entry["createdAt"], "updatedAt": entry["createdAt"]}
    assert list(entry) == ["id", *body, "createdAt", "updatedAt"]
    assert TIMESTAMP.match(entry["createdAt"])
    assert server.call("GET", one, key=admin).json() == entry

    replaced = server.call("PUT", one, key=admin, json_body={**body, "name": "Renamed"})
    assert replaced.status == 200
    assert replaced.json()["createdAt"] == entry["createdAt"]
    assert replaced.json()["updatedAt"] >= entry["updatedAt"]
    assert replaced.json()["name"] == "Renamed"
    assert server.call("GET", one, key=admin).json() == replaced.json()

    deleted = server.call("DELETE", one, key=admin)
    assert deleted.status == 204 and deleted.body == b""
    assert server.call("GET", one, key=admin).status == 404
    assert server.call("DELETE", one, key=admin).status == 404
    assert server.call("PUT", one, key=admin, json_body=body).status == 201


def test_a_replace_is_whole_and_null_is_absent(server: Server, admin: str) -> None:
    _put(server, admin, f"{OFFERS}/off_1", CARD)
    replaced = _put(server, admin, f"{OFFERS}/off_1", {"name": "Plain", "categoryId": None})
    assert {k: v for k, v in replaced.items() if k not in ("createdAt", "updatedAt")} == {
        "id": "off_1",
        "name": "Plain",
    }


@pytest.mark.parametrize(
    ("base", "body", "details"),
    [
        (OFFERS, {}, {"name": "required"}),
        (OFFERS, {"name": ""}, {"name": "must not be empty"}),
        (OFFERS, {"name": "x" * 256}, {"name": "must be at most 255 characters"}),
        (OFFERS, {"name": "x", "categoryId": 5}, {"categoryId": "must be a string"}),
        (OFFERS, {"name": "x", "category": "c"}, {"category": "unknown field"}),
        (OFFERS, {"name": "x", "createdAt": "t"}, {"createdAt": "this field is set by the server"}),
        (OFFERS, {"name": "x", "id": "other"}, {"id": "is not the path's id"}),
        (CHANNELS, {"name": "x"}, {"type": "required"}),
        (CHANNELS, {"name": "x", "type": "fax"}, {"type": f"must be one of {ALLOWED_TYPES}"}),
        (CHANNELS, {"name": "x", "type": None}, {"type": f"must be one of {ALLOWED_TYPES}"}),
        (CHANNELS, {"name": "x", "type": "EMAIL"}, {"type": f"must be one of {ALLOWED_TYPES}"}),
        (
            CHANNELS,
            {"type": 3, "name": None, "cost": 1},
            {"type": "must be", "name": "must be", "cost": "unknown"},
        ),
    ],
)
def test_invalid_bodies_are_400_at_their_paths(
    server: Server, admin: str, base: str, body: dict[str, Any], details: dict[str, str]
) -> None:
    reply = server.call("PUT", f"{base}/item_1", key=admin, json_body=body)
    assert reply.status == 400, reply.body
    got = {d["path"]: d["message"] for d in reply.error["details"]}
    assert sorted(got) == sorted(details)
    assert all(got[path].startswith(start) for path, start in details.items()), got
    assert server.call("GET", f"{base}/item_1", key=admin).status == 404


def test_every_channel_type_is_accepted(server: Server, admin: str) -> None:
    for kind in ("email", "sms", "whatsapp", "rcs", "viber", "voice", "push"):
        assert _put(server, admin, f"{CHANNELS}/ch_{kind}", {"name": kind, "type": kind})["type"] == kind


def test_the_id_given_may_be_the_paths(server: Server, admin: str) -> None:
    assert _put(server, admin, f"{OFFERS}/off_1", {**CARD, "id": "off_1"})["id"] == "off_1"


@pytest.mark.parametrize("base", [OFFERS, CHANNELS])
def test_ids_are_bounded(server: Server, admin: str, base: str) -> None:
    """1–255 characters without control characters: a PUT of another id is a 400 at `id`;
    reading or deleting one is a 404 (it cannot exist), on every database."""
    body = CARD if base == OFFERS else EMAIL
    for good in ("x" * 255, "offre été — 1", "a b"):
        assert server.call("PUT", f"{base}/{quote(good)}", key=admin, json_body=body).status == 201, good
        assert server.call("GET", f"{base}/{quote(good)}", key=admin).json()["id"] == good
    for bad in ("x" * 256, "x" * 5000, "a\x00b", "tab\tbed", "\x7f"):
        path = f"{base}/{quote(bad)}"
        reply = server.call("PUT", path, key=admin, json_body=body)
        assert reply.status == 400 and [d["path"] for d in reply.error["details"]] == ["id"], bad
        assert server.call("GET", path, key=admin).status == 404
        assert server.call("DELETE", path, key=admin).status == 404


@pytest.mark.parametrize(("base", "body"), KINDS)
def test_another_tenants_entries_are_404_and_unlisted(
    server: Server, make_key: KeyMaker, admin: str, base: str, body: dict[str, Any]
) -> None:
    """A PUT of the same id makes the other tenant's own entry, never touches this one."""
    mine = _put(server, admin, f"{base}/shared_id", body)
    stranger = make_key(f"t_{uuid.uuid4().hex[:12]}", "editor")
    assert server.call("GET", f"{base}/shared_id", key=stranger).status == 404
    assert server.call("DELETE", f"{base}/shared_id", key=stranger).status == 404
    assert server.call("GET", base, key=stranger).json()["data"] == []
    theirs = server.call("PUT", f"{base}/shared_id", key=stranger, json_body={**body, "name": "theirs"})
    assert theirs.status == 201
    assert server.call("GET", f"{base}/shared_id", key=admin).json() == mine
    assert server.call("DELETE", f"{base}/shared_id", key=stranger).status == 204
    assert server.call("GET", f"{base}/shared_id", key=admin).json() == mine


@pytest.mark.parametrize(("base", "body"), KINDS)
@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_roles(
    server: Server, make_key: KeyMaker, tenant: str, admin: str, base: str, body: dict[str, Any], role: str
) -> None:
    """Viewers read; editors and admins write (403 below, and nothing changes)."""
    key = make_key(tenant, role)
    entry = _put(server, admin, f"{base}/item_1", body)
    assert server.call("GET", base, key=key).status == 200
    assert server.call("GET", f"{base}/item_1", key=key).status == 200
    writes = [
        server.call("PUT", f"{base}/item_1", key=key, json_body={**body, "name": "changed"}).status,
        server.call("PUT", f"{base}/item_2", key=key, json_body=body).status,
        server.call("DELETE", f"{base}/item_1", key=key).status,
    ]
    if role == "viewer":
        assert writes == [403, 403, 403]
        assert server.call("GET", base, key=admin).json()["data"] == [entry]
    else:
        assert writes == [200, 201, 204]


def test_without_a_key_every_endpoint_is_401(server: Server) -> None:
    for base in (OFFERS, CHANNELS):
        for method, path in (
            ("GET", base),
            ("GET", base + "/x"),
            ("PUT", base + "/x"),
            ("DELETE", base + "/x"),
        ):
            assert server.call(method, path, json_body={} if method == "PUT" else None).status == 401


def test_concurrent_creates_of_one_id(server: Server, admin: str) -> None:
    """The database's key decides: exactly one 201, the others replace it (200)."""
    names = [f"n{i}" for i in range(8)]
    with ThreadPoolExecutor(len(names)) as pool:
        replies = list(
            pool.map(lambda n: server.call("PUT", f"{OFFERS}/raced", key=admin, json_body={"name": n}), names)
        )
    assert sorted(r.status for r in replies) == [200] * 7 + [201]
    assert len({r.json()["createdAt"] for r in replies}) == 1
    assert server.call("GET", f"{OFFERS}/raced", key=admin).json()["name"] in names


def test_complete_reads_what_put_stored(server: Server, admin: str, tenant: str) -> None:
    """decide's view: a candidate gets the catalogue's fields it left out; an id the
    catalogue cannot hold (a NUL) is simply not found, on every database."""
    _put(server, admin, f"{OFFERS}/off_1", CARD)
    _put(server, admin, f"{CHANNELS}/ch_sms", {"name": "SMS", "type": "sms"})
    items = [
        {"offerId": "off_1", "channelId": "ch_sms", "categoryId": "mine"},
        {"offerId": "off\x00", "channelId": "x" * 300},
    ]
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as session:
            completed = catalogue.complete(session, tenant, items, channel_type=True)
    finally:
        engine.dispose()
    assert completed == [
        {**items[0], "subCategoryId": "sub_gold", "offerCategory": "credit cards", "channelType": "sms"},
        items[1],
    ]


def test_list_rejects_bad_limits_and_cursors(server: Server, admin: str) -> None:
    for query, path in (("limit=0", "limit"), ("limit=101", "limit"), ("cursor=WzFd", "cursor")):
        reply = server.call("GET", f"{CHANNELS}?{query}", key=admin)
        assert reply.status == 400 and [d["path"] for d in reply.error["details"]] == [path]


@settings(max_examples=10)  # each example makes a tenant and up to 12 offers over HTTP
@given(
    ids=st.lists(st.text("abcz019", min_size=1, max_size=6), max_size=12, unique=True),
    deleted=st.sets(st.integers(0, 11), max_size=4),
    data=st.data(),
)
def test_walking_the_cursor(
    server: Server, make_key: KeyMaker, ids: list[str], deleted: set[int], data: st.DataObject
) -> None:
    """Every entry exactly once, by id, whatever the page sizes."""
    key = make_key(f"t_offers_{uuid.uuid4().hex[:12]}", "editor")
    for offer_id in ids:
        _put(server, key, f"{OFFERS}/{offer_id}", {"name": offer_id})
    for index in deleted & set(range(len(ids))):
        server.call("DELETE", f"{OFFERS}/{ids[index]}", key=key)
    expected = sorted(offer_id for i, offer_id in enumerate(ids) if i not in deleted)
    seen = walk(server, key, OFFERS, lambda: data.draw(st.integers(1, 5), label="limit"), len(expected))
    assert [entry["id"] for entry in seen] == expected


FIELDS = st.sampled_from(
    ["id", "name", "type", "categoryId", "subCategoryId", "offerCategory", "createdAt", "x"]
)


@settings(max_examples=40)
@given(
    item_id=TEXT,
    body=JSON | st.dictionaries(FIELDS, JSON, max_size=5),
    query=st.dictionaries(st.sampled_from(["limit", "cursor"]), TEXT),
)
def test_random_ids_bodies_and_queries_are_never_5xx(
    server: Server, make_key: KeyMaker, item_id: str, body: object, query: dict[str, str]
) -> None:
    key = make_key("t_fuzz_catalogue", "editor")
    one = quote(item_id, safe="") or "x"
    for base in (OFFERS, CHANNELS):
        for reply in (
            server.call("PUT", f"{base}/{one}", key=key, data=json.dumps(body).encode(), headers=JSON_TYPE),
            server.call("GET", f"{base}/{one}", key=key),
            server.call("DELETE", f"{base}/{one}", key=key),
            server.call("GET", f"{base}?{urlencode(query)}", key=key),
        ):
            assert reply.status < 500, reply.body
            assert reply.status < 400 or reply.error["code"]

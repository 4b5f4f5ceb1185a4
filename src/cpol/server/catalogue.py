"""The offer and channel catalogue (SPEC §5.5) as decide and respond read it.

A candidate or an interaction that names a catalogued offer or channel gets the fields it
left out from the catalogue: the offer's `categoryId`, `subCategoryId` and `offerCategory`,
the channel's `type` as `channelType`. A field the item gives (even `null`) is kept.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any, TypeGuard

from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.orm import Session

from cpol.server.database import fast_rows, in_chunks
from cpol.server.models import Channel, Offer

OFFER_FIELDS = ("categoryId", "subCategoryId", "offerCategory")
Item = dict[str, Any]
#: An offer's or channel's id (the client's own): 1–255 characters, none of them a control
#: character or a lone surrogate (which no database column can hold).
CATALOGUE_ID = re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,255}\Z")
ID_RULE = "must be 1–255 characters, none of them a control character"


def is_catalogue_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and CATALOGUE_ID.match(value) is not None


@functools.lru_cache(maxsize=1024)
def _lookup(table: type[Offer] | type[Channel], count: int) -> Select[str, str]:
    """The lookup of `count` ids (`id0`, `id1`, …), built once per table and count so that
    it is compiled once: decide reads the catalogue on every call."""
    ids: list[BindParameter[str]] = [bindparam(f"id{n}") for n in range(count)]
    return select(table.id, table.document).where(table.tenant_id == bindparam("tenant"), table.id.in_(ids))


def _documents(
    session: Session, table: type[Offer] | type[Channel], tenant_id: str, ids: set[str]
) -> dict[str, Item]:
    found: dict[str, Item] = {}
    for chunk in in_chunks(sorted(ids)):
        named = {f"id{n}": value for n, value in enumerate(chunk)}
        rows = fast_rows(session, _lookup(table, len(chunk)), {"tenant": tenant_id, **named})
        found.update((row_id, json.loads(document)) for row_id, document in rows)
    return found


def _named(items: Iterable[Item], field: str) -> set[str]:
    """The ids the items name that could be in the catalogue (others cannot be compared
    safely on every database, and are in no catalogue)."""
    return {value for item in items if is_catalogue_id(value := item.get(field))}


def complete(session: Session, tenant_id: str, items: list[Item], *, channel_type: bool) -> list[Item]:
    """`items` with what the catalogue knows filled in (new dicts; the given ones are kept).
    `channel_type`: whether the items carry a `channelType` (candidates do, interactions not)."""
    offers = _documents(session, Offer, tenant_id, _named(items, "offerId"))
    channels = _documents(session, Channel, tenant_id, _named(items, "channelId")) if channel_type else {}
    if not offers and not channels:
        return items
    completed = []
    for item in items:
        extra: Item = {}
        offer = offers.get(item.get("offerId"))  # type: ignore[arg-type]
        if offer is not None:
            extra |= {f: offer[f] for f in OFFER_FIELDS if f not in item and offer.get(f) is not None}
        channel = channels.get(item.get("channelId"))  # type: ignore[arg-type]
        if channel is not None and "channelType" not in item:
            extra["channelType"] = channel["type"]
        completed.append({**item, **extra} if extra else item)
    return completed


def offer_names(session: Session, tenant_id: str, ids: set[str]) -> dict[str, str]:
    """The catalogue's name of each of these offers it holds."""
    offers = _documents(session, Offer, tenant_id, {i for i in ids if is_catalogue_id(i)})
    return {offer_id: str(document["name"]) for offer_id, document in offers.items()}

"""What a decision knows about its customer (SPEC §7, last paragraph), and where each part
came from, so an explained decision can say why the engine saw what it saw.

A stored contact gives its `timezone` (its own, else its country's single zone), `consent`
(its preferences), `segments` (the dynamic segments it matches, then the standard lists it
is in) and `dnc` (the names of the `dnc` lists it is in). Every customer, stored or not,
gets `metrics`: they are computed from the stored history, which any customer may have.
A field of the request's `customer` replaces the stored one whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cpol.server import contact_lists, metrics, segments
from cpol.server.contact_fields import CONTACT_ID, country_zone
from cpol.server.database import fast_rows
from cpol.server.models import Contact

Json = dict[str, Any]
#: Where a part came from: one word for a whole field, or one per member of a collection.
Source = str | dict[str, str]

#: Built once, as decide's other reads are.
CONTACT = select(Contact.timezone, Contact.country, Contact.document).where(
    Contact.tenant_id == bindparam("tenant"), Contact.id == bindparam("contact")
)


@dataclass
class Profile:
    """The §2 `customer` fields found in storage, each with its source."""

    fields: Json = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    def add(self, name: str, value: object, source: Source) -> None:
        """Record `value` unless it is empty (an empty part tells the engine nothing)."""
        if value:
            self.fields[name] = value
            self.sources[name] = source

    def under(self, given: Json) -> tuple[Json, Json]:
        """The `customer` with the request's fields laid over the stored ones, and for each
        field its value and where it came from (`request` when the body gave it)."""
        customer = {**self.fields, **given}
        explained = {
            name: {"value": value, "from": "request" if name in given else self.sources[name]}
            for name, value in customer.items()
            if name != "id"
        }
        return customer, explained


def _contact(profile: Profile, session: Session, tenant: str, contact_id: str) -> None:
    rows = fast_rows(session, CONTACT, {"tenant": tenant, "contact": contact_id})
    if not rows:
        return
    timezone, country, text = rows[0]
    document = json.loads(text)
    if timezone:
        profile.add("timezone", timezone, "contact")
    else:
        profile.add("timezone", country_zone(country), f"the zone of the contact's country {country}")
    profile.add("consent", document["preferences"], "contact preferences")
    matched = segments.matching(session, tenant, document)
    listed = contact_lists.memberships(session, tenant, contact_id)
    profile.add(
        "segments",
        [*matched, *listed.segments],
        {**dict.fromkeys(matched, "dynamic segment"), **dict.fromkeys(listed.segments, "list")},
    )
    profile.add("dnc", list(listed.dnc), dict.fromkeys(listed.dnc, "dnc list"))


def stored(session: Session, tenant: str, customer_id: str, now: str) -> Profile:
    """The customer as stored at `now`: the contact's parts when it is one, its metrics."""
    profile = Profile()
    if CONTACT_ID.match(customer_id) is not None:
        _contact(profile, session, tenant, customer_id)
    values = metrics.values(session, tenant, customer_id, now)
    profile.add("metrics", values, dict.fromkeys(values, "metric over the stored interactions"))
    return profile

"""Policies as code (SPEC §5.4): import a whole policy set, matched by name, all or nothing.

The body is the truth for every policy it names: a policy whose user fields differ is
replaced whole (not merged), one that is absent is deleted only with `prune`. Server
fields in the body (an export carries them) are ignored, so an exported file imports back
as all unchanged. The plan is made and applied in one write transaction over the tenant's
live rows read for update, so two imports never interleave and a failure writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import cpol
from cpol.server import policies
from cpol.server.bodies import CPOL, Body
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail, diagnostic_details
from cpol.server.keys import Principal
from cpol.server.models import ContactPolicy
from cpol.server.policies import DEFAULTS, Document, same, user_fields


@dataclass
class Plan:
    """What an import does: the answer of `POST /contact-policies/import`."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    def answer(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "changes": self.changes,
        }


def _loaded(body: Body) -> list[cpol.Policy]:
    """Every policy of the body, or a 400 listing every problem (JSON paths, or lines and
    columns for `.cpol` text, which may `use` only the standard library)."""
    if body.media_type == CPOL:
        return policies.compiled(body.text)
    value = body.value
    if not (isinstance(value, list) or (isinstance(value, dict) and isinstance(value.get("data"), list))):
        raise ApiError(400, 'the body must be a JSON array of policies (or a list response {"data": [...]})')
    try:
        return cpol.load_json(value)
    except cpol.Diagnostics as exc:
        raise ApiError(400, "the policies are invalid", diagnostic_details(exc.items)) from None


def comparable(document: Document) -> Document:
    """A policy's user fields as an import compares them: defaults written out, server
    fields dropped, and a null field the same as an absent one (both mean "not set")."""
    fields = user_fields(policies.validated({**DEFAULTS, **user_fields(document)}).to_json())
    return {key: value for key, value in fields.items() if value is not None}


def _wanted(loaded: list[cpol.Policy]) -> dict[str, Document]:
    """Each policy by name, comparable; a 400 listing every policy the store refuses (a
    check beyond the language's, such as a NUL in a name), at its index in the body."""
    wanted: dict[str, Document] = {}
    details: list[ErrorDetail] = []
    for index, policy in enumerate(loaded):
        try:
            wanted[policy.name] = comparable(policy.to_json())
        except ApiError as refused:
            details += [ErrorDetail(path=f"[{index}].{d.path}", message=d.message) for d in refused.details]
    if details:
        raise ApiError(400, "the policies are invalid", details)
    return wanted


def _field_changes(name: str, before: Document, after: Document) -> list[dict[str, Any]]:
    """One change per top-level field that differs (`config` as a whole); absent is null."""
    keys = [*before, *(key for key in after if key not in before)]
    return [
        {"name": name, "field": key, "from": before.get(key), "to": after.get(key)}
        for key in keys
        if not same({"v": before.get(key)}, {"v": after.get(key)})
    ]


def _one_import_at_a_time(session: Session, tenant: str) -> None:
    """On PostgreSQL, a tenant's imports queue on a transaction-scoped advisory lock: row
    locks alone would let two imports both create one name (and one fail with 409) or lock
    rows in different orders. SQLite's `BEGIN IMMEDIATE` already queues every writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:tenant))"), {"tenant": tenant})


def import_policies(engine: Engine, who: Principal, body: Body, *, dry_run: bool, prune: bool) -> Plan:
    """Create, update and (with `prune`) delete so the tenant's live policies are the
    body's; with `dry_run` only say what that would do."""
    wanted = _wanted(_loaded(body))
    plan = Plan()
    apply = not dry_run
    with transaction(engine, write=apply) as session:
        if apply:
            _one_import_at_a_time(session, who.tenant_id)
        rows = {row.name: row for row in policies.live_rows(session, who.tenant_id, lock=apply)}
        for name, row in rows.items():
            _match(plan, session, who, row, wanted.get(name), prune=prune, apply=apply)
        for name, fields in wanted.items():
            if name not in rows:
                plan.created.append(name)
                if apply:
                    policies.create_in(session, who, fields)
    return plan


def _match(
    plan: Plan, session: Session, who: Principal, row: ContactPolicy, fields: Document | None,
    *, prune: bool, apply: bool,
) -> None:  # fmt: skip
    """One live policy against the body's policy of its name (None: the body has none)."""
    if fields is None:
        if prune:
            plan.deleted.append(row.name)
            if apply:
                policies.delete_in(session, who, row)
        return
    changes = _field_changes(row.name, comparable(policies.document_of(row)), fields)
    if not changes:
        plan.unchanged += 1
        return
    plan.updated.append(row.name)
    plan.changes += changes
    if apply:
        policies.change_in(session, who, row, fields)

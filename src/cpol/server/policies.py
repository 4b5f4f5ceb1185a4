"""Contact policies in the database (SPEC §5.3): validated by the library, audited, versioned.

Every policy goes through `cpol.load_json` (the plan's models, the same rules and messages
as `cpol check`) before it is stored. Each change writes its audit entry in the same write
transaction; an update reads the row it changes inside that transaction (`FOR UPDATE`;
on SQLite the transaction holds the write lock from its start), so two updates never both
win and none applies over a stale read. Live names are unique through a unique index.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import ColumnElement, Engine, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import cpol
from cpol.plan import RULE_TYPES, SCOPE_KINDS, SCOPE_ROW_FIELDS, Status
from cpol.server import flows
from cpol.server.clock import now
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail, diagnostic_details, not_found
from cpol.server.keys import Principal
from cpol.server.models import ContactPolicy, PolicyAudit
from cpol.server.paging import Key, Keyset, Page, is_timestamp, matches

SERVER_FIELDS = ("id", "tenantId", "version", "createdAt", "updatedAt", "deletedAt")
DEFAULTS: dict[str, Any] = {"status": "active", "scope": "offer", "priority": cpol.plan.DEFAULT_PRIORITY}
Document = dict[str, Any]
POLICY_ID = re.compile(r"cp_[0-9a-f]{16}\Z", re.ASCII)
KEYSET = Keyset(
    (
        # the database's integers are bounded: a forged priority must not overflow them
        Key(ContactPolicy.priority, True, lambda v: type(v) is int and 0 <= v <= 100),
        Key(ContactPolicy.created_at, True, is_timestamp),
        Key(ContactPolicy.id, False, matches(POLICY_ID)),
    )
)
LIST_ORDER = KEYSET.order()


def validated(fields: Document) -> cpol.Policy:
    """The policy, or a 400 listing every problem `cpol check` finds, at its JSON path; and
    one the store adds: a name is a column of its own, and PostgreSQL's text cannot hold a
    NUL (the rest of a policy is stored as JSON, where a NUL is written `\\u0000`)."""
    try:
        policy = cpol.load_json(fields)[0]
    except cpol.Diagnostics as exc:
        raise ApiError(400, "the policy is invalid", diagnostic_details(exc.items)) from None
    if "\x00" in policy.name:
        detail = ErrorDetail(path="name", message="a stored name cannot contain the NUL character (\\u0000)")
        raise ApiError(400, "the policy is invalid", [detail])
    return policy


def refuse_server_fields(fields: Document, allowed: tuple[str, ...] = ()) -> None:
    """400 when the client sets what only the server may (ids, versions, timestamps)."""
    paths = [key for key in SERVER_FIELDS if key in fields and key not in allowed]
    scopes = fields.get("scopes")
    if isinstance(scopes, list):
        paths += [
            f"scopes[{i}].{key}"
            for i, row in enumerate(scopes)
            if isinstance(row, dict)
            for key in SCOPE_ROW_FIELDS
            if key in row
        ]
    if paths:
        details = [ErrorDetail(path=p, message="this field is set by the server") for p in paths]
        raise ApiError(400, "the body sets fields that belong to the server", details)


def user_fields(document: Document) -> Document:
    """A stored policy without its server fields: what a client may send back."""
    fields = {k: v for k, v in document.items() if k not in SERVER_FIELDS}
    if isinstance(fields.get("scopes"), list):
        fields["scopes"] = [
            {k: v for k, v in row.items() if k not in SCOPE_ROW_FIELDS} for row in fields["scopes"]
        ]
    return fields


def _scope_rows(scopes: list[Document], policy_id: str, at: str) -> list[Document]:
    return [
        {"id": f"cps_{secrets.token_hex(8)}", "contactPolicyId": policy_id, **row, "createdAt": at}
        for row in scopes
    ]


def _apply(row: ContactPolicy, document: Document) -> None:
    """Store `document` (already valid) and the columns queries use from it."""
    policy = validated(document)
    row.document = json.dumps(document, ensure_ascii=False)
    row.name = policy.name
    row.live_name = policy.name if row.deleted_at is None else None
    row.status = policy.status
    row.rule_type = policy.ruleType
    row.priority = policy.priority
    row.version = document["version"]
    row.updated_at = document["updatedAt"]
    row.scope_kinds = "," + ",".join(sorted({s.scope for s in policy.effective_scopes})) + ","


def document_of(row: ContactPolicy) -> Document:
    document: Document = json.loads(row.document)
    return document


def _audit(session: Session, who: Principal, row: ContactPolicy, action: str, before: str | None) -> None:
    session.add(
        PolicyAudit(
            tenant_id=who.tenant_id,
            policy_id=row.id,
            action=action,
            version=row.version,
            actor=who.name,
            at=row.updated_at,
            before=before,
            after=row.document,
        )
    )


def _name_clash(session: Session, tenant: str, name: str, other_than: str = "") -> None:
    clash = select(ContactPolicy.id).where(
        ContactPolicy.tenant_id == tenant, ContactPolicy.live_name == name, ContactPolicy.id != other_than
    )
    if session.scalars(clash).first() is not None:
        raise ApiError(409, f"a live contact policy named {name!r} already exists")


def _flush_unique(session: Session, name: str) -> None:
    """Flush, turning the live-name unique index's refusal (a concurrent twin) into 409."""
    try:
        session.flush()
    except IntegrityError:
        raise ApiError(409, f"a live contact policy named {name!r} already exists") from None


def create(engine: Engine, who: Principal, fields: Document) -> Document:
    refuse_server_fields(fields)
    validated(fields)
    with transaction(engine, write=True) as session:
        return create_in(session, who, fields)


def create_in(session: Session, who: Principal, fields: Document) -> Document:
    """Store a new policy from valid user `fields` inside the caller's write transaction."""
    at = now()
    policy_id = f"cp_{secrets.token_hex(8)}"  # matches POLICY_ID
    document = {**DEFAULTS, **fields}
    if isinstance(fields.get("scopes"), list):
        document["scopes"] = _scope_rows(fields["scopes"], policy_id, at)
    server = {"id": policy_id, "tenantId": who.tenant_id, "version": 1, "deletedAt": None}
    document = validated({**document, **server, "createdAt": at, "updatedAt": at}).to_json()
    _name_clash(session, who.tenant_id, document["name"])
    row = ContactPolicy(id=policy_id, tenant_id=who.tenant_id, created_at=at, deleted_at=None)
    _apply(row, document)
    session.add(row)
    _flush_unique(session, document["name"])
    _audit(session, who, row, "create", None)
    return document


def _live_row(session: Session, tenant: str, policy_id: str) -> ContactPolicy:
    if not POLICY_ID.match(policy_id):  # never stored; and PostgreSQL cannot even compare a NUL
        raise not_found()
    query = select(ContactPolicy).where(
        ContactPolicy.id == policy_id, ContactPolicy.tenant_id == tenant, ContactPolicy.deleted_at.is_(None)
    )
    row = session.scalars(query.with_for_update()).one_or_none()
    if row is None:
        raise not_found()
    return row


def _expected_version(changes: Document) -> int | None:
    version = changes.pop("version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ApiError(
            400, "the policy is invalid", [ErrorDetail(path="version", message="must be an integer")]
        )
    return version


def update(engine: Engine, who: Principal, policy_id: str, changes: Document) -> Document:
    """Change only the fields given (`config` whole); the result must validate as a whole.
    A body that changes nothing answers the stored policy: no new version, no audit entry."""
    changes = dict(changes)
    changes.pop("id", None)
    expected = _expected_version(changes)
    refuse_server_fields(changes)
    with transaction(engine, write=True) as session:
        row = _live_row(session, who.tenant_id, policy_id)
        if expected is not None and expected != row.version:
            raise ApiError(
                409, f"the policy is at version {row.version}, not {expected}", code="version_conflict"
            )
        before = document_of(row)
        fields = {**user_fields(before), **changes}
        validated(fields)
        if same(fields, user_fields(before)):
            return before
        return change_in(session, who, row, fields)


def change_in(session: Session, who: Principal, row: ContactPolicy, fields: Document) -> Document:
    """Replace a live row's user fields with valid `fields` (the whole policy): a new
    version, audited, inside the caller's write transaction (the row read for update).
    Scope rows are made anew only when the `scopes` list changes."""
    before = document_of(row)
    at = now()
    server = {k: before[k] for k in SERVER_FIELDS if k in before}
    document = {**fields, **server, "version": row.version + 1, "updatedAt": at}
    scopes = fields.get("scopes")
    if isinstance(scopes, list):
        kept = same({"scopes": scopes}, {"scopes": user_fields(before).get("scopes")})
        document["scopes"] = before["scopes"] if kept else _scope_rows(scopes, row.id, at)
    document = validated(document).to_json()
    _name_clash(session, who.tenant_id, document["name"], other_than=row.id)
    _apply(row, document)
    _flush_unique(session, document["name"])
    _audit(session, who, row, "update", json.dumps(before, ensure_ascii=False))
    return document


def same(a: Document, b: Document) -> bool:
    """Equal as JSON (3 and 3.0 differ, as they do in the stored text)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def delete(engine: Engine, who: Principal, policy_id: str) -> list[str]:
    """Soft delete: the record stays, with `deletedAt` set and its version raised. Answers
    a warning for each decision flow that uses the policy (read in the same transaction)."""
    with transaction(engine, write=True) as session:
        delete_in(session, who, _live_row(session, who.tenant_id, policy_id))
        return flows.warnings(session, who.tenant_id, policy_id)


def delete_in(session: Session, who: Principal, row: ContactPolicy) -> None:
    """Soft-delete a live row read for update, audited, inside the caller's transaction."""
    before = document_of(row)
    at = now()
    row.deleted_at = at
    _apply(row, {**before, "version": row.version + 1, "deletedAt": at, "updatedAt": at})
    _audit(session, who, row, "delete", json.dumps(before, ensure_ascii=False))


def get(engine: Engine, tenant: str, policy_id: str) -> Document:
    """A policy of the tenant, deleted ones included (their record is kept)."""
    if not POLICY_ID.match(policy_id):  # never stored; and PostgreSQL cannot even compare a NUL
        raise not_found()
    with transaction(engine) as session:
        row = session.get(ContactPolicy, policy_id)
        if row is None or row.tenant_id != tenant:
            raise not_found()
        return document_of(row)


def history(engine: Engine, tenant: str, policy_id: str) -> list[Document]:
    get(engine, tenant, policy_id)
    with transaction(engine) as session:
        entries = session.scalars(
            select(PolicyAudit).where(PolicyAudit.policy_id == policy_id).order_by(PolicyAudit.id)
        )
        return [
            {
                "action": e.action,
                "version": e.version,
                "actor": e.actor,
                "at": e.at,
                "before": json.loads(e.before) if e.before else None,
                "after": json.loads(e.after) if e.after else None,
            }
            for e in entries
        ]


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    rule_type: str | None = None
    scope: str | None = None
    include_deleted: bool = False

    def check(self) -> None:
        """400 for a filter value no policy can have (a typo would silently match nothing)."""
        known = {"status": get_args(Status), "ruleType": RULE_TYPES, "scope": SCOPE_KINDS}
        given = {"status": self.status, "ruleType": self.rule_type, "scope": self.scope}
        details = [
            ErrorDetail(path=name, message=f"must be one of {', '.join(known[name])}")
            for name, value in given.items()
            if value is not None and value not in known[name]
        ]
        if details:
            raise ApiError(400, "the request is invalid", details)

    def where(self, tenant: str) -> ColumnElement[bool]:
        conditions = [ContactPolicy.tenant_id == tenant]
        if not self.include_deleted:
            conditions.append(ContactPolicy.deleted_at.is_(None))
        if self.status is not None:
            conditions.append(ContactPolicy.status == self.status)
        if self.rule_type is not None:
            conditions.append(ContactPolicy.rule_type == self.rule_type)
        if self.scope is not None:
            conditions.append(ContactPolicy.scope_kinds.contains(f",{self.scope},"))
        return and_(*conditions)


def list_page(engine: Engine, tenant: str, filters: Filters, limit: int, cursor: str | None) -> Page:
    """One page in the order priority desc, createdAt desc, id; `total` counts every match."""
    filters.check()
    with transaction(engine) as session:
        return KEYSET.page(session, ContactPolicy, filters.where(tenant), limit, cursor, document_of)


def live_rows(session: Session, tenant: str, *, lock: bool = False) -> list[ContactPolicy]:
    """Every live policy of the tenant in the list's order (`lock`: read for update)."""
    query = select(ContactPolicy).where(ContactPolicy.tenant_id == tenant, ContactPolicy.deleted_at.is_(None))
    query = query.order_by(*LIST_ORDER)
    return list(session.scalars(query.with_for_update() if lock else query))


def live_documents(engine: Engine, tenant: str) -> list[Document]:
    """The tenant's live policies as stored, in the list's order (the export)."""
    with transaction(engine) as session:
        return [document_of(row) for row in live_rows(session, tenant)]


def compiled(text: str) -> list[cpol.Policy]:
    """The policies of `.cpol` text, compiled without a file: imports reach only the
    standard library. A 400 lists every error with its line and column."""
    try:
        return cpol.compile_source(text)
    except cpol.Diagnostics as exc:
        raise ApiError(400, "the policy source is invalid", diagnostic_details(exc.items)) from None

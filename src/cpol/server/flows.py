"""Decision flows (SPEC §5.5): a name and a free-form `draftConfig` object.

The service reads one thing in a flow, the policies it uses: the ids at
`draftConfig.stages.filter.contactPolicyIds`. Decide evaluates only those, and deleting a
policy that a flow names answers a warning. So that path is checked when a flow is
written (each step an object, the ids a list of strings; null or absent means "none"),
and everything else in `draftConfig` is stored as sent. Deleting a flow removes its row:
unlike a policy it has no audit trail to keep, and a deleted flow no longer warns.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cpol.server.clock import now
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail, not_found
from cpol.server.fields import parsed
from cpol.server.models import DecisionFlow
from cpol.server.paging import Key, Keyset, Page, is_timestamp, matches
from cpol.server.schemas import FlowFields

Document = dict[str, Any]
FLOW_ID = re.compile(r"df_[0-9a-f]{16}\Z", re.ASCII)
#: Newest first, as the policies' list (after their priority).
KEYSET = Keyset(
    (Key(DecisionFlow.created_at, True, is_timestamp), Key(DecisionFlow.id, False, matches(FLOW_ID)))
)
IDS_PATH = "draftConfig.stages.filter.contactPolicyIds"


def _invalid(details: list[ErrorDetail]) -> ApiError:
    return ApiError(400, "the decision flow is invalid", details)


def referenced_ids(config: Document) -> list[str]:
    """The policy ids a flow's `draftConfig` names ([] when it names none), or a 400 at the
    first step of the path that has another type."""
    node, path = config, "draftConfig"
    for step in ("stages", "filter"):
        child = node.get(step)
        path += f".{step}"
        if child is None:
            return []
        if not isinstance(child, dict):
            raise _invalid([ErrorDetail(path=path, message="must be a JSON object")])
        node = child
    ids = node.get("contactPolicyIds")
    if ids is None:
        return []
    if not isinstance(ids, list):
        raise _invalid([ErrorDetail(path=IDS_PATH, message="must be a list of contact policy ids")])
    wrong = [
        ErrorDetail(path=f"{IDS_PATH}[{i}]", message="must be a string")
        for i, item in enumerate(ids)
        if not isinstance(item, str)
    ]
    if wrong:
        raise _invalid(wrong)
    return ids


def _checked(fields: Document, path_id: str | None = None) -> FlowFields:
    flow = parsed(FlowFields, fields, "decision flow", path_id)
    referenced_ids(flow.draftConfig)
    return flow


def _document(row: DecisionFlow) -> Document:
    return {
        "id": row.id,
        "name": row.name,
        "draftConfig": json.loads(row.draft_config),
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def _store(row: DecisionFlow, flow: FlowFields, at: str) -> Document:
    row.name = flow.name
    row.draft_config = json.dumps(flow.draftConfig, ensure_ascii=False)
    row.updated_at = at
    return _document(row)


def _row(session: Session, tenant: str, flow_id: str, *, lock: bool = False) -> DecisionFlow:
    if not FLOW_ID.match(flow_id):  # never stored; and PostgreSQL cannot even compare a NUL
        raise not_found("decision flow")
    query = select(DecisionFlow).where(DecisionFlow.id == flow_id, DecisionFlow.tenant_id == tenant)
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise not_found("decision flow")
    return row


def create(engine: Engine, tenant: str, fields: Document) -> Document:
    flow = _checked(fields)
    at = now()
    row = DecisionFlow(id=f"df_{secrets.token_hex(8)}", tenant_id=tenant, created_at=at)
    with transaction(engine, write=True) as session:
        document = _store(row, flow, at)
        session.add(row)
        return document


def get(engine: Engine, tenant: str, flow_id: str) -> Document:
    with transaction(engine) as session:
        return _document(_row(session, tenant, flow_id))


def update(engine: Engine, tenant: str, flow_id: str, changes: Document) -> Document:
    """Replace the fields given (`draftConfig` whole); an `id` must be the path's."""
    with transaction(engine, write=True) as session:
        row = _row(session, tenant, flow_id, lock=True)
        stored = {"name": row.name, "draftConfig": json.loads(row.draft_config)}
        return _store(row, _checked({**stored, **changes}, flow_id), now())


def delete(engine: Engine, tenant: str, flow_id: str) -> None:
    with transaction(engine, write=True) as session:
        session.delete(_row(session, tenant, flow_id, lock=True))


def list_page(engine: Engine, tenant: str, limit: int, cursor: str | None) -> Page:
    with transaction(engine) as session:
        return KEYSET.page(session, DecisionFlow, DecisionFlow.tenant_id == tenant, limit, cursor, _document)


def policy_ids(session: Session, tenant_id: str, flow_id: str) -> list[str]:
    """The contact policy ids the flow uses, as written (they may name policies that are
    deleted or never existed); 404 for a flow the tenant does not have."""
    return referenced_ids(json.loads(_row(session, tenant_id, flow_id).draft_config))


def warnings(session: Session, tenant_id: str, policy_id: str) -> list[str]:
    """One warning per flow of the tenant that uses the policy, in the list's order. The
    search for the id's JSON text only narrows the rows read; the parsed ids decide."""
    written = json.dumps(policy_id, ensure_ascii=False)
    query = select(DecisionFlow).where(
        DecisionFlow.tenant_id == tenant_id, DecisionFlow.draft_config.contains(written, autoescape=True)
    )
    return [
        f'Referenced by decision flow "{row.name}" — it will skip this policy.'
        for row in session.scalars(query.order_by(*KEYSET.order()))
        if policy_id in referenced_ids(json.loads(row.draft_config))
    ]

"""The database tables. Tenants have no table: a tenant is the id its keys carry.

A policy's JSON object is stored whole (`document`, exactly what the API answers) next to
the columns that queries filter, sort and lock on; `live_name` is the name while the policy
is live and NULL once deleted, so a unique index keeps live names unique per tenant even
under concurrent creates.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[str] = mapped_column(String(24))
    revoked_at: Mapped[str | None] = mapped_column(String(24), default=None)


class ContactPolicy(Base):
    __tablename__ = "contact_policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "live_name", name="uq_contact_policies_live_name"),
        Index("ix_contact_policies_order", "tenant_id", "priority", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    live_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    rule_type: Mapped[str] = mapped_column(String(40))
    scope_kinds: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[str] = mapped_column(String(24))
    deleted_at: Mapped[str | None] = mapped_column(String(24))
    document: Mapped[str] = mapped_column(Text)


class PolicyAudit(Base):
    __tablename__ = "policy_audit"
    __table_args__ = (Index("ix_policy_audit_policy", "policy_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    policy_id: Mapped[str] = mapped_column(String(40), ForeignKey("contact_policies.id"))
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(String(24))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class DecisionFlow(Base):
    """A decision flow (SPEC §5.5): `draft_config` is any JSON object, stored as sent."""

    __tablename__ = "decision_flows"
    __table_args__ = (Index("ix_decision_flows_tenant", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    draft_config: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[str] = mapped_column(String(24))


class _CatalogueEntry(Base):
    """An entry of the offer and channel catalogue (SPEC §5.5); the id is the client's own,
    the entry's fields are stored as JSON."""

    __abstract__ = True

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[str] = mapped_column(String(24))


class Offer(_CatalogueEntry):
    __tablename__ = "offers"


class Channel(_CatalogueEntry):
    __tablename__ = "channels"


class Interaction(Base):
    """A recorded interaction (SPEC §5.6), append-only. `seq` orders recording, so a
    decision log refers to the interactions it read by their `seq`;
    `document` is the §2 interaction (with its `ih_…` id) exactly as decide reads it."""

    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_customer", "tenant_id", "customer_id", "seq"),
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_interactions_idempotency"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[str] = mapped_column(String(24))
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    #: The answer's suppressions when this interaction was first recorded (for retries).
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))


class SuppressionRecord(Base):
    """A customer's suppression record (SPEC §5.6): made by a policy (one per customer,
    policy, scope, scopeId) or by hand (`policy_id` NULL, `policy_type` "manual")."""

    __tablename__ = "suppressions"
    __table_args__ = (
        Index("ix_suppressions_customer", "tenant_id", "customer_id"),
        UniqueConstraint(
            "tenant_id", "customer_id", "policy_id", "scope", "scope_id", name="uq_suppressions_policy_scope"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(Text)
    policy_id: Mapped[str | None] = mapped_column(String(40))
    policy_type: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(40))
    scope_id: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    trigger_count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[str] = mapped_column(String(24))


class PolicySet(Base):
    """A policy set as decide used it, stored once per content (`digest` is its version)."""

    __tablename__ = "policy_sets"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    documents: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))


class DecisionLog(Base):
    """One decide (SPEC §5.6). The request is stored without the stored history, which it
    names by reference: `history` lists the `seq` of each stored interaction it read, in
    the order read, as differences from the previous one (compact, and exact even when a
    PostgreSQL sequence committed out of order)."""

    __tablename__ = "decision_log"
    __table_args__ = (
        Index("ix_decision_log_customer", "tenant_id", "customer_id", "at"),
        Index("ix_decision_log_at", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(String(24))
    policy_set: Mapped[str] = mapped_column(String(64))
    history: Mapped[str] = mapped_column(Text)
    request: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text)


#: What migration 0005 builds to index `contacts.search`, which the models cannot describe:
#: on SQLite an FTS5 virtual table (and its shadow tables, named `contacts_search_data` and
#: so on), on PostgreSQL a GIN index with an operator class of the `pg_trgm` extension.
SEARCH_TABLE, SEARCH_INDEX = "contacts_search", "ix_contacts_search"
#: What migration 0006 adds on PostgreSQL only: `contacts.document` as a generated `jsonb`
#: column, which segment rules read there (`segment_rules`); SQLite has no such column.
DOCUMENT_JSONB = "document_jsonb"


def compared(item: object, name: str | None, kind: str, reflected: bool, _model: object) -> bool:
    """Alembic's `include_object`: whether to compare an object with the models; not the
    objects of one database only (found in the database, not in the models: the search
    index, the `jsonb` document), so models still equal migrations."""
    if kind == "index":
        ours = name == SEARCH_INDEX
    elif kind == "column":
        ours = name == DOCUMENT_JSONB and isinstance(item, Column) and item.table.name == "contacts"
    else:
        ours = kind == "table" and (name == SEARCH_TABLE or str(name).startswith(f"{SEARCH_TABLE}_"))
    return not (reflected and ours)


class Contact(Base):
    """A customer's profile (SPEC §7). Its id is the `customerId` its interactions,
    suppression records and decisions are recorded under. `search` is the lowercased text
    `search=` looks in (names, phone, email), indexed outside the models (`SEARCH_TABLE`);
    `opted_out` the channel types it opted out of, each between spaces (` sms email `), so
    `optouts` filters with one LIKE."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "phone", name="uq_contacts_phone"),
        UniqueConstraint("tenant_id", "email", name="uq_contacts_email"),
        Index("ix_contacts_order", "tenant_id", "created_at", "id"),
        Index("ix_contacts_stage", "tenant_id", "lifecycle_stage", "created_at", "id"),
        Index("ix_contacts_country", "tenant_id", "country", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    lifecycle_stage: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(Text)
    opted_out: Mapped[str] = mapped_column(Text)
    search: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[str] = mapped_column(String(24))


class ContactList(Base):
    """A standard or `dnc` list of contacts (SPEC §7). Deleting a list keeps its contacts."""

    __tablename__ = "contact_lists"
    __table_args__ = (Index("ix_contact_lists_order", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[str] = mapped_column(String(24))


class ListMember(Base):
    """A contact's membership of a list; the second index answers "which lists is this
    contact in" at decide time and for erasure."""

    __tablename__ = "list_members"
    __table_args__ = (
        Index("ix_list_members_order", "list_id", "added_at", "contact_id"),
        Index("ix_list_members_contact", "tenant_id", "contact_id"),
    )

    list_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    added_at: Mapped[str] = mapped_column(String(24))


class Segment(Base):
    """A dynamic segment: `rules` over the contact's fields, evaluated when asked."""

    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_order", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(24))


class Metric(Base):
    """A behavioral metric; its id is chosen by the caller (`PUT /metrics/{id}`), so it is
    unique per tenant, not globally."""

    __tablename__ = "metrics"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[str] = mapped_column(String(24))

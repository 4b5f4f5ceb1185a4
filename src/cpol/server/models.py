"""The database tables. Tenants have no table: a tenant is the id its keys carry.

A policy's JSON object is stored whole (`document`, exactly what the API answers) next to
the columns that queries filter, sort and lock on; `live_name` is the name while the policy
is live and NULL once deleted, so a unique index keeps live names unique per tenant even
under concurrent creates.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
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

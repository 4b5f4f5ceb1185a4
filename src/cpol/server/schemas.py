"""Response bodies as pydantic models, so `/openapi.json` describes what the API answers.

A stored policy is described loosely here (its `config` depends on `ruleType`); the exact
rules are the plan's (`cpol schema`), which validates every policy before it is stored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ScopeRow(BaseModel):
    id: str
    contactPolicyId: str
    scope: str
    scopeId: str | None = None
    createdAt: str


class StoredPolicy(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    tenantId: str
    name: str
    description: str | None = None
    status: str
    scope: str
    scopeId: str | None = None
    scopes: list[ScopeRow] | None = None
    ruleType: str
    config: dict[str, Any]
    priority: int
    version: int
    deletedAt: str | None
    createdAt: str
    updatedAt: str


class Pagination(BaseModel):
    total: int
    limit: int
    hasMore: bool
    cursor: str | None


class PolicyPage(BaseModel):
    data: list[StoredPolicy]
    pagination: Pagination


class Deleted(BaseModel):
    deleted: Literal[True]
    warnings: list[str]


class AuditEntry(BaseModel):
    action: Literal["create", "update", "delete"]
    version: int
    actor: str
    at: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class History(BaseModel):
    data: list[AuditEntry]


class FieldChange(BaseModel):
    name: str
    field: str
    from_: Any = Field(alias="from")
    to: Any


class ImportPlan(BaseModel):
    created: list[str]
    updated: list[str]
    deleted: list[str]
    unchanged: int
    changes: list[FieldChange]


class Health(BaseModel):
    status: Literal["ok"]

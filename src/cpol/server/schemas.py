"""Response bodies as pydantic models, so `/openapi.json` describes what the API answers.

A stored policy is described loosely here (its `config` depends on `ruleType`); the exact
rules are the plan's (`cpol schema`), which validates every policy before it is stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from cpol.plan import ScopeKind
from cpol.plan.fields import MAX_COUNT
from cpol.runtime.clock import parse_instant
from cpol.server.clock import stamp


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


def _without_nul(text: str) -> str:
    """PostgreSQL's text cannot hold a NUL; both databases refuse it alike."""
    if "\x00" in text:
        raise PydanticCustomError("nul", "cannot contain the NUL character (\\u0000)")
    return text


Name = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_without_nul)]
ChannelType = Literal["email", "sms", "whatsapp", "rcs", "viber", "voice", "push"]
CHANNEL_TYPES: tuple[str, ...] = get_args(ChannelType)


class Written(BaseModel):
    """A body's fields, checked strictly (no coercion) and whole (unknown keys refused)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class FlowFields(Written):
    """A decision flow as written (SPEC §5.5); its policies are the ids at
    `draftConfig.stages.filter.contactPolicyIds`."""

    name: Name
    draftConfig: dict[str, Any] = Field(default_factory=dict)


class StoredFlow(FlowFields):
    id: str
    createdAt: str
    updatedAt: str


class FlowPage(BaseModel):
    data: list[StoredFlow]
    pagination: Pagination


class OfferFields(Written):
    """The category fields fill interactions in, and so end up as suppression records'
    scopeIds (an indexed column): they are bounded like ids."""

    name: Name
    categoryId: Name | None = None
    subCategoryId: Name | None = None
    offerCategory: Name | None = None


class StoredOffer(OfferFields):
    id: str
    createdAt: str
    updatedAt: str


class OfferPage(BaseModel):
    data: list[StoredOffer]
    pagination: Pagination


class ChannelFields(Written):
    name: Name
    type: ChannelType


class StoredChannel(ChannelFields):
    id: str
    createdAt: str
    updatedAt: str


class ChannelPage(BaseModel):
    data: list[StoredChannel]
    pagination: Pagination


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


class Decided(BaseModel):
    """One §2 decision (`trace` only in explain mode)."""

    model_config = ConfigDict(extra="allow")

    candidate: dict[str, Any]
    allowed: bool
    blockedBy: list[dict[str, Any]]
    overriddenBy: str | None
    eligibleAt: str | None


class KnownField(BaseModel):
    """A §2 `customer` field as the engine saw it, and where it came from: `request`, or
    the stored data (per member for segments, dnc lists and metrics)."""

    value: Any
    from_: str | dict[str, str] = Field(alias="from")


class DecisionAnswer(BaseModel):
    decisionId: str
    customerId: str
    now: str
    policySetVersion: str
    decisions: list[Decided]
    customer: dict[str, KnownField] | None = Field(
        default=None, description="with `explain`: each `customer` field the engine saw, and its source"
    )


class DecisionLogEntry(BaseModel):
    decisionId: str
    at: str
    customerId: str
    policySetVersion: str
    request: dict[str, Any]
    policies: list[dict[str, Any]]
    decisions: list[Decided]


class DecisionSummary(BaseModel):
    decisionId: str
    at: str
    customerId: str
    policySetVersion: str
    decisions: list[Decided]


class DecisionLogPage(BaseModel):
    data: list[DecisionSummary]
    pagination: Pagination


# -- respond and suppression records (SPEC §5.6) -------------------------------------------
def _stamped(text: str) -> str:
    """A timestamp read as the runtime reads one, written as the service stores them."""
    try:
        return stamp(parse_instant(text))
    except ValueError:
        message = "`{text}` is not an ISO 8601 timestamp (for example 2026-03-20T14:00:00Z)"
        raise PydanticCustomError("timestamp", message, {"text": text}) from None


#: An id of a customer, offer, channel…: kept in indexed columns, so bounded, and without NUL.
Id = Name
#: A timestamp in any ISO 8601 form the runtime reads; checked, it is `…T12:00:00.000Z`.
Stamp = Annotated[str, AfterValidator(_stamped)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(_without_nul)]


class InteractionFields(Written):
    """One interaction to record; `timestamp` defaults to the server's clock."""

    customerId: Id
    offerId: Id
    channelId: Id
    outcome: Id
    timestamp: Stamp | None = None
    creativeId: Id | None = None
    campaignId: Id | None = None
    categoryId: Id | None = None
    subCategoryId: Id | None = None
    offerCategory: Id | None = None
    idempotencyKey: Id | None = None


class InteractionBatch(Written):
    interactions: Annotated[list[InteractionFields], Field(min_length=1, max_length=1000)]


class StoredInteraction(BaseModel):
    """A recorded interaction: the §2 interaction decide reads (completed from the
    catalogue), with its customer, key and recording time."""

    id: str
    customerId: str
    timestamp: str
    outcome: str
    offerId: str
    channelId: str
    creativeId: str | None = None
    campaignId: str | None = None
    categoryId: str | None = None
    subCategoryId: str | None = None
    offerCategory: str | None = None
    idempotencyKey: str | None
    createdAt: str


class SuppressionFields(Written):
    """A manual record; `scopeId` is "all" (or absent) for global, required otherwise;
    without `expiresAt` it never expires."""

    scope: ScopeKind
    scopeId: Id | None = None
    reason: Reason
    expiresAt: Stamp | None = None


class Suppression(BaseModel):
    id: str
    scope: str
    scopeId: str | None
    offerName: str | None
    policyType: str
    reason: str | None
    triggerCount: int
    expiresAt: str | None
    createdAt: str
    isActive: bool
    policyId: str | None
    policyName: str | None


class Responded(BaseModel):
    interactions: list[StoredInteraction]
    suppressions: list[Suppression]


class SuppressionList(BaseModel):
    data: list[Suppression]


# -- impact preview (SPEC §6.3) -------------------------------------------------------------
MAX_SAMPLE = 10_000


def _frequency_cap_only(value: str) -> str:
    if value != "frequency_cap":
        message = "only frequency_cap is supported in this form; send a `policy` to preview any rule type"
        raise PydanticCustomError("policy_type", message)
    return value


def _one_policy(value: object) -> dict[str, Any] | str:
    if not isinstance(value, dict | str):
        raise PydanticCustomError("policy", "must be a policy (a JSON object) or the `.cpol` text of one")
    return value


def _sample_size(value: object) -> int | str:
    if value == "all" or (type(value) is int and 1 <= value <= MAX_SAMPLE):
        return value
    raise PydanticCustomError("sample_size", f'must be an integer from 1 to {MAX_SAMPLE:,}, or "all"')


#: The seed's bounds: 100 to 10,000 customers.
SeedSample = Annotated[int, Field(ge=100, le=MAX_SAMPLE)]
#: A policy of SPEC §1, as JSON or as `.cpol` text (one `policy` block).
ProposedPolicy = Annotated[
    dict[str, Any] | str,
    PlainValidator(_one_policy),
    WithJsonSchema({"anyOf": [{"type": "object"}, {"type": "string"}]}),
]
ReplaySample = Annotated[
    int | str,
    PlainValidator(_sample_size),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_SAMPLE}, {"const": "all"}]}),
]


class ProjectedCap(Written):
    """At most `maxFrequency` interactions with outcome `outcomeType` in `periodDays`; the
    cap's bound is the plan's."""

    maxFrequency: Annotated[int, Field(ge=1, le=MAX_COUNT)]
    periodDays: Annotated[int, Field(ge=1, le=365)]
    outcomeType: Id


class CapPreview(Written):
    """The seed's form: a frequency cap projected over the customers active in its window;
    `scopeId` is required unless the scope is global. `now` is not the seed's."""

    policyType: Annotated[str, AfterValidator(_frequency_cap_only)]
    scope: Literal["global", "offer", "category", "channel"] = "global"
    scopeId: Id | None = None
    config: ProjectedCap
    sampleSize: SeedSample = 1000
    now: Stamp | None = None


class PolicyPreview(Written):
    """Any policy, replayed with and without it over the stored history (SPEC §6.2)."""

    policy: ProposedPolicy
    sampleSize: ReplaySample = 1000
    now: Stamp | None = None


class AffectedSegment(BaseModel):
    segment: str
    affected: int
    total: int


class ImpactPreview(BaseModel):
    """The seed's answer, and the instant it was computed at."""

    totalCustomersAnalyzed: int
    customersAffected: int
    affectedPercent: float
    offersSuppressed: dict[str, int]
    avgOffersBeforePolicy: float
    avgOffersAfterPolicy: float
    topAffectedSegments: list[AffectedSegment]
    now: str


class PolicyFlips(BaseModel):
    """The candidates a policy blocks that were allowed (`blocked`), and those it blocked
    that are now allowed (`unblocked`)."""

    policyId: str | None
    policyName: str
    ruleType: str
    blocked: int
    unblocked: int


class ReplayImpact(ImpactPreview):
    candidatesAnalyzed: int
    candidatesBlocked: int
    candidatesUnblocked: int
    customersUnblocked: int
    offersUnblocked: dict[str, int]
    byPolicy: list[PolicyFlips]

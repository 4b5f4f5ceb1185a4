"""The plan: the JSON contact-policy object of SPEC §1 as pydantic models.

Attribute names are the JSON keys, so the models read like the SPEC and `to_json()` needs
no aliasing. Models are lossless: only keys the source had are dumped (`exclude_unset`),
explicit nulls stay null, and numbers keep their int/float type.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, TypeAdapter
from pydantic_core import InitErrorDetails

from cpol.diagnostics import did_you_mean
from cpol.plan.base import CheckedModel, line_error
from cpol.plan.configs import (
    AllowOverrideConfig,
    BudgetExhaustedConfig,
    CategorySuppressionConfig,
    CooldownConfig,
    CrossChannelCapConfig,
    CustomerTotalCapConfig,
    DoNotContactConfig,
    FrequencyCapConfig,
    MetricConditionConfig,
    MutualExclusionConfig,
    OfferCategoryCapConfig,
    OutcomeBasedConfig,
    RuleConfig,
    SegmentExclusionConfig,
    TimeWindowConfig,
)
from cpol.plan.fields import (
    Count,
    Name,
    Priority,
    ScopeKind,
    Status,
    Text,
    Timestamp,
    one_of,
    require_list,
)

DEFAULT_PRIORITY = 50
SCOPE_KINDS: tuple[str, ...] = get_args(ScopeKind)


def _missing_scope_id(data: dict[Any, Any], default_scope: str | None) -> list[InitErrorDetails]:
    """SPEC §1: scopeId is required unless the scope is global."""
    scope = data.get("scope", default_scope)
    scope_id = data.get("scopeId")
    if scope in SCOPE_KINDS and scope != "global" and scope_id in (None, ""):
        return [line_error(("scopeId",), "scopeId is required unless scope is global")]
    return []


SCOPE_ROW_FIELDS = ("id", "contactPolicyId", "createdAt")
"""Server fields of a stored scope row (the API's list response): carried, never read."""


class ScopeRef(CheckedModel):
    """One entry of `scopes`: where a policy applies (with the server's row fields, if any)."""

    id: Text | None = None
    contactPolicyId: Text | None = None
    scope: Annotated[ScopeKind, one_of("scope", ScopeKind)]
    scopeId: Text | None = None
    createdAt: Timestamp | None = None

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str | None]:
        return f"unknown scope field `{key}`", did_you_mean(key, cls.model_fields)

    @classmethod
    def requirement_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        return _missing_scope_id(data, default_scope=None)


ScopeList = Annotated[list[ScopeRef], require_list("must be a list of {scope, scopeId} objects")]


class PolicyBase(CheckedModel):
    """Top-level fields shared by every rule type, in SPEC §1 key order.

    `ruleType` and `config` are declared here (and narrowed by each subclass) only so they
    keep their SPEC position in the dumped JSON.
    """

    id: Text | None = None
    tenantId: Text | None = None
    name: Name
    description: Text | None = None
    status: Annotated[Status, one_of("status", Status)] = "active"
    scope: Annotated[ScopeKind, one_of("scope", ScopeKind)] = "offer"
    scopeId: Text | None = None
    scopes: ScopeList | None = None
    ruleType: Text
    config: RuleConfig
    priority: Priority = DEFAULT_PRIORITY
    version: Count | None = None
    deletedAt: Timestamp | None = None
    createdAt: Timestamp | None = None
    updatedAt: Timestamp | None = None

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str | None]:
        return f"unknown policy field `{key}`", did_you_mean(key, cls.model_fields)

    @classmethod
    def requirement_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        scopes = data.get("scopes")
        if isinstance(scopes, list) and scopes:
            return []  # `scopes` overrides scope/scopeId (SPEC §1)
        return _missing_scope_id(data, default_scope="offer")

    @property
    def effective_scopes(self) -> list[ScopeRef]:
        """SPEC §2.1: `scopes` when it is a non-empty list, else scope/scopeId."""
        if self.scopes:
            return list(self.scopes)
        return [ScopeRef(scope=self.scope, scopeId=self.scopeId)]

    def to_json(self) -> dict[str, Any]:
        """The policy as a JSON object with exactly the keys it was given, in SPEC order."""
        return self.model_dump(exclude_unset=True)


class FrequencyCapPolicy(PolicyBase):
    ruleType: Literal["frequency_cap"]
    config: FrequencyCapConfig


class CooldownPolicy(PolicyBase):
    ruleType: Literal["cooldown"]
    config: CooldownConfig


class BudgetExhaustedPolicy(PolicyBase):
    ruleType: Literal["budget_exhausted"]
    config: BudgetExhaustedConfig


class OutcomeBasedPolicy(PolicyBase):
    ruleType: Literal["outcome_based"]
    config: OutcomeBasedConfig


class SegmentExclusionPolicy(PolicyBase):
    ruleType: Literal["segment_exclusion"]
    config: SegmentExclusionConfig


class TimeWindowPolicy(PolicyBase):
    ruleType: Literal["time_window"]
    config: TimeWindowConfig


class MutualExclusionPolicy(PolicyBase):
    ruleType: Literal["mutual_exclusion"]
    config: MutualExclusionConfig


class CrossChannelCapPolicy(PolicyBase):
    ruleType: Literal["cross_channel_cap"]
    config: CrossChannelCapConfig


class CustomerTotalCapPolicy(PolicyBase):
    ruleType: Literal["customer_total_cap"]
    config: CustomerTotalCapConfig


class OfferCategoryCapPolicy(PolicyBase):
    ruleType: Literal["offer_category_cap"]
    config: OfferCategoryCapConfig


class AllowOverridePolicy(PolicyBase):
    ruleType: Literal["allow_override"]
    config: AllowOverrideConfig


class CategorySuppressionPolicy(PolicyBase):
    ruleType: Literal["category_suppression"]
    config: CategorySuppressionConfig


class DoNotContactPolicy(PolicyBase):
    ruleType: Literal["do_not_contact"]
    config: DoNotContactConfig


class MetricConditionPolicy(PolicyBase):
    ruleType: Literal["metric_condition"]
    config: MetricConditionConfig


Policy = Annotated[
    FrequencyCapPolicy
    | CooldownPolicy
    | BudgetExhaustedPolicy
    | OutcomeBasedPolicy
    | SegmentExclusionPolicy
    | TimeWindowPolicy
    | MutualExclusionPolicy
    | CrossChannelCapPolicy
    | CustomerTotalCapPolicy
    | OfferCategoryCapPolicy
    | AllowOverridePolicy
    | CategorySuppressionPolicy
    | DoNotContactPolicy
    | MetricConditionPolicy,
    Field(discriminator="ruleType"),
]
"""Any policy, told apart by `ruleType`."""

POLICY_ADAPTER: TypeAdapter[Policy] = TypeAdapter(Policy)

POLICY_MODELS: dict[str, type[PolicyBase]] = {
    get_args(model.model_fields["ruleType"].annotation)[0]: model for model in get_args(get_args(Policy)[0])
}
"""Policy model per ruleType, in SPEC table order."""


def _config_model(rule_type: str, policy: type[PolicyBase]) -> type[RuleConfig]:
    """The config model a policy model declares, checked to name the same rule type."""
    config = policy.model_fields["config"].annotation
    if not (isinstance(config, type) and issubclass(config, RuleConfig)):
        raise TypeError(f"{policy.__name__}.config is not a RuleConfig")
    if config.rule_type != rule_type:
        raise TypeError(f"{config.__name__}.rule_type is not {rule_type!r}")
    return config


CONFIG_MODELS: dict[str, type[RuleConfig]] = {
    rule: _config_model(rule, model) for rule, model in POLICY_MODELS.items()
}
"""Config model per ruleType."""

RULE_TYPES: tuple[str, ...] = tuple(POLICY_MODELS)


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema of a policy file (a JSON array of policies), for `cpol schema`."""
    return TypeAdapter(list[Policy]).json_schema()

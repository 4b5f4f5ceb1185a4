"""The `config` object of each of the fourteen rule types (SPEC §1), older shapes included.

Every key is optional at the model level and unset by default, so a round trip reproduces
exactly the keys the source had; which keys a rule needs is declared in `required` and
checked with the SPEC's wording. A key whose value is null counts as absent (SPEC §2.1).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import SerializerFunctionWrapHandler, model_serializer
from pydantic_core import InitErrorDetails

from cpol.diagnostics import did_you_mean
from cpol.plan.base import CheckedModel, line_error
from cpol.plan.fields import (
    OUTCOME_MESSAGE,
    PER_RULE_TYPES,
    BudgetField,
    Contacts,
    Days,
    DaysOfWeek,
    EndHour,
    Flag,
    Hours,
    Number,
    Operator,
    Outcomes,
    PerDimension,
    PeriodType,
    StartHour,
    Text,
    TextList,
    Timezone,
    TotalPeriodType,
    non_empty_text,
    non_empty_text_list,
    one_of,
)


class Requirement(NamedTuple):
    """At least one of `keys` must be present; `message` overrides the generated wording."""

    keys: tuple[str, ...]
    message: str | None = None


class RuleConfig(CheckedModel):
    """Keys every rule's config accepts. Subclasses name their rule and add their keys."""

    rule_type: ClassVar[str] = ""
    required: ClassVar[tuple[Requirement, ...]] = ()
    json_key_order: ClassVar[tuple[str, ...]] = ("bypassable",)

    bypassable: Flag | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Order output keys: the rule's own keys, then older-shape keys, then bypassable."""
        super().__pydantic_init_subclass__(**kwargs)
        own = inspect.get_annotations(cls)
        names = [name for name in cls.model_fields if name != "bypassable"]
        inherited = [name for name in names if name not in own]
        cls.json_key_order = (*[n for n in names if n in own], *inherited, "bypassable")

    @model_serializer(mode="wrap")
    def _ordered(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        ordered = {key: data[key] for key in self.json_key_order if key in data}
        ordered.update(data)
        return ordered

    @classmethod
    def unknown_key(cls, key: str) -> tuple[str, str | None]:
        if key == "per":
            *others, last = PER_RULE_TYPES
            hint = f"only {', '.join(others)} and {last} count for each value"
            return f"`per` is not accepted by {cls.rule_type}", hint
        keys = list(cls.model_fields)
        hint = did_you_mean(key, keys) or f"{cls.rule_type} accepts {', '.join(keys)}"
        return f"unknown config key `{key}` for {cls.rule_type}", hint

    @classmethod
    def prepare(cls, data: dict[Any, Any]) -> dict[Any, Any]:
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def requirement_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        return [
            line_error((), need.message or cls._missing_message(need.keys))
            for need in cls.required
            if not any(key in data for key in need.keys)
        ]

    @classmethod
    def _missing_message(cls, keys: tuple[str, ...]) -> str:
        first, *older = keys
        alternatives = f" (or {', '.join(older)})" if older else ""
        return f"{cls.rule_type} requires {first}{alternatives}"


PerField = Annotated[PerDimension, one_of("per", PerDimension)]
"""SPEC §1.1: count only the interactions sharing this field's value with the candidate."""


# --- older shapes: still loaded, evaluated and round-tripped unchanged --------------------


class FrequencyWindow(RuleConfig):
    """Older frequency_cap shape: at most maxContacts over a rolling windowDays window."""

    maxContacts: Contacts | None = None
    windowDays: Days | None = None

    @classmethod
    def requirement_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        present = [key for key in ("maxContacts", "windowDays") if key in data]
        errors = super().requirement_errors(data)
        if len(present) == 1:
            errors.append(line_error((present[0],), "maxContacts and windowDays go together"))
        return errors


class OutcomeWindow(RuleConfig):
    """Older outcome_based shape: `{outcome, withinDays}`."""

    outcome: Outcomes | None = None
    withinDays: Days | None = None


class SegmentRef(RuleConfig):
    """Older segment_exclusion shape: a single `segmentId`."""

    segmentId: Text | None = None


# --- the fourteen rule types --------------------------------------------------------------


class FrequencyCapConfig(FrequencyWindow):
    rule_type = "frequency_cap"
    required = (
        Requirement(
            ("maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal", "maxContacts", "windowDays"),
            "frequency_cap requires at least one cap: maxPerDay, maxPerWeek, maxPerMonth, "
            "maxTotal or maxContacts with windowDays",
        ),
    )

    maxPerDay: Contacts | None = None
    maxPerWeek: Contacts | None = None
    maxPerMonth: Contacts | None = None
    maxTotal: Contacts | None = None
    withinCampaignId: Annotated[str, non_empty_text("withinCampaignId")] | None = None
    excludeCampaignIds: Annotated[list[str], non_empty_text_list("excludeCampaignIds")] | None = None
    per: PerField | None = None


class CooldownConfig(RuleConfig):
    rule_type = "cooldown"
    required = (Requirement(("cooldownHours",)),)

    cooldownHours: Hours | None = None
    per: PerField | None = None


class BudgetExhaustedConfig(RuleConfig):
    rule_type = "budget_exhausted"
    required = (Requirement(("budgetField",)), Requirement(("threshold",)))

    budgetField: Annotated[BudgetField, one_of("budgetField", BudgetField)] | None = None
    threshold: Number | None = None


class OutcomeBasedConfig(OutcomeWindow):
    rule_type = "outcome_based"
    required = (
        Requirement(("afterOutcome", "outcome"), OUTCOME_MESSAGE),
        Requirement(("suppressForDays", "withinDays")),
    )

    afterOutcome: Outcomes | None = None
    suppressForDays: Days | None = None
    per: PerField | None = None


class SegmentExclusionConfig(SegmentRef):
    rule_type = "segment_exclusion"
    required = (Requirement(("excludeSegments", "segmentId")),)

    excludeSegments: TextList | None = None


class TimeWindowConfig(RuleConfig):
    rule_type = "time_window"

    startHour: StartHour | None = None
    endHour: EndHour | None = None
    daysOfWeek: DaysOfWeek | None = None
    timezone: Timezone | None = None


class MutualExclusionConfig(RuleConfig):
    rule_type = "mutual_exclusion"
    required = (Requirement(("excludeOfferIds",)),)

    excludeOfferIds: TextList | None = None


class CrossChannelCapConfig(FrequencyWindow):
    """The older API documents gave cross_channel_cap the `{maxContacts, windowDays}` shape."""

    rule_type = "cross_channel_cap"
    required = (
        Requirement(
            ("maxTotal", "maxContacts", "windowDays"),
            "cross_channel_cap requires maxTotal (or maxContacts with windowDays)",
        ),
    )

    maxTotal: Contacts | None = None
    periodType: Annotated[PeriodType, one_of("periodType", PeriodType)] | None = None
    appliesAcross: TextList | None = None

    @classmethod
    def requirement_errors(cls, data: dict[Any, Any]) -> list[InitErrorDetails]:
        errors = super().requirement_errors(data)
        if "periodType" in data and "maxTotal" not in data and "maxContacts" in data:
            message = "periodType is the period of maxTotal, which is missing"
            errors.append(line_error(("periodType",), message, "windowDays sets the older cap's period"))
        return errors


class CustomerTotalCapConfig(RuleConfig):
    rule_type = "customer_total_cap"
    required = (Requirement(("maxTotal",)),)

    maxTotal: Contacts | None = None
    periodType: Annotated[TotalPeriodType, one_of("periodType", TotalPeriodType)] | None = None


class OfferCategoryCapConfig(RuleConfig):
    rule_type = "offer_category_cap"
    required = (Requirement(("targetCategory",)), Requirement(("maxTotal",)))

    targetCategory: Annotated[str, non_empty_text("targetCategory")] | None = None
    maxTotal: Contacts | None = None
    periodType: Annotated[TotalPeriodType, one_of("periodType", TotalPeriodType)] | None = None


class AllowOverrideConfig(RuleConfig):
    rule_type = "allow_override"

    reason: Text | None = None


class CategorySuppressionConfig(RuleConfig):
    rule_type = "category_suppression"
    required = (Requirement(("suppressionDays",)),)

    categoryId: Text | None = None
    subCategoryId: Text | None = None
    suppressionDays: Days | None = None


class DoNotContactConfig(RuleConfig):
    rule_type = "do_not_contact"

    dncSource: Text | None = None
    reason: Text | None = None


class MetricConditionConfig(RuleConfig):
    rule_type = "metric_condition"
    required = (Requirement(("metricId",)),)

    metricId: Annotated[str, non_empty_text("metricId")] | None = None
    operator: Annotated[Operator, one_of("operator", Operator)] | None = None
    threshold: Number | None = None

"""Field types of the plan.

Each type validates strictly (a JSON `3` stays `int`, `3.0` stays `float`, `true` is never a
number) and fails with cpol's own wording, so no pydantic phrasing ever reaches a user. The
pydantic schema of each type is declared separately for `cpol schema`.
"""

from __future__ import annotations

import functools
import math
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeGuard, get_args

from pydantic import BeforeValidator, Field, PlainValidator
from pydantic_core import PydanticCustomError

from cpol.diagnostics import did_you_mean

CPOL_ERROR = "cpol"
"""The pydantic error type of every error cpol raises; its context holds message and hint."""

Status = Literal["draft", "active", "paused", "archived"]
ScopeKind = Literal["global", "offer", "creative", "channel", "category", "subcategory"]
PeriodType = Literal["daily", "weekly", "monthly"]
TotalPeriodType = Literal["daily", "weekly", "monthly", "alltime"]
BudgetField = Literal["impressions", "spend", "daily_spend"]
Operator = Literal["gt", "gte", "lt", "lte", "eq"]
PerDimension = Literal["offer", "channel", "creative", "category", "subcategory"]
"""What `per` counts by (SPEC §1.1): the candidate field whose value an interaction must share."""
PER_RULE_TYPES = ("frequency_cap", "cooldown", "outcome_based")
"""The rule types that accept `per`."""

OUTCOME_MESSAGE = "outcome_based requires afterOutcome as a non-empty string or non-empty string array"


def problem(message: str, hint: str | None = None) -> PydanticCustomError:
    """A pydantic error carrying our message verbatim (read back from its context)."""
    return PydanticCustomError(CPOL_ERROR, "{message}", {"hint": hint, "message": message})


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _number(value: object) -> int | float:
    """A finite number ≥ 0 (negative zero included among the negatives: it would print `-0`)."""
    if isinstance(value, float) and math.isinf(value):
        raise problem("this number is too large", "JSON numbers must be finite")
    if not _is_number(value):
        raise problem("must be a number")
    if value < 0 or math.copysign(1.0, value) < 0:
        raise problem("must be ≥ 0", "write 0" if value == 0 else None)
    return value


MAX_COUNT = 2**53 - 1
"""The largest cap: every JSON reader holds integers up to here exactly (JavaScript's
Number.MAX_SAFE_INTEGER), and no customer is ever contacted that often."""


def _whole(value: object) -> int | float:
    """A count of contacts: a whole number from 0 to MAX_COUNT, int or float kept as written
    (`3.0` is three). A fraction has no meaning for a count, and a tiny one like 1e-300 would
    let a cap block at zero contacts."""
    number = _number(value)
    if number != math.floor(number):
        low = math.floor(number)
        raise problem(
            f"must be a whole number, not {number!r}",
            f"a cap counts contacts: write {low} or {low + 1}",
        )
    if number > MAX_COUNT:
        raise problem(
            f"must be at most {MAX_COUNT:,}",
            "no customer is contacted that often; leave the cap out for no limit",
        )
    return number


MAX_DAYS = 3_652_500
"""The longest duration, in days: 10,000 years of 365.25 days, longer than the calendar a
timestamp can name (years 1 to 9999), so a longer one could never end anyway."""


def duration(unit: str, seconds: float) -> PlainValidator:
    """A length of time in `unit` (`seconds` long each): 0, or from one second (instants are
    written to the second) to MAX_DAYS days."""
    longest = MAX_DAYS * 86400.0 / seconds

    def check(value: object) -> int | float:
        number = _number(value)
        if number > longest:  # before any arithmetic: an int may be too large for a float
            raise problem(
                f"must be at most {longest:,.0f} {unit} (10,000 years)",
                "the calendar ends at 9999-12-31; no wait can be longer",
            )
        if 0 < number * seconds < 1:
            raise problem(
                f"{number!r} {unit} is shorter than a second", "write 0 for none, or at least a second"
            )
        return number

    schema = Annotated[float, Field(ge=0, le=longest)]
    return PlainValidator(check, json_schema_input_type=schema)


def _count(value: object) -> int:
    if not _is_int(value):
        raise problem("must be an integer")
    if value < 0:
        raise problem("must be ≥ 0")
    return value


def int_between(low: int, high: int, message: str) -> PlainValidator:
    """An integer in [low, high]; anything else (floats included) fails with `message`."""

    def check(value: object) -> int:
        if not _is_int(value) or not low <= value <= high:
            raise problem(message)
        return value

    return PlainValidator(check, json_schema_input_type=Annotated[int, Field(ge=low, le=high)])


def one_of(field: str, choices: Any) -> PlainValidator:
    """A value of the Literal `choices`, with a did-you-mean hint for a near miss."""
    options: tuple[str, ...] = get_args(choices)
    message = f"{field} must be one of {', '.join(options)}"

    def check(value: object) -> str:
        if isinstance(value, str) and value in options:
            return value
        raise problem(message, did_you_mean(value, options) if isinstance(value, str) else None)

    return PlainValidator(check, json_schema_input_type=choices)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise problem("must be a string")
    return value


def non_empty_text(field: str) -> PlainValidator:
    """A string with something in it: an empty id would silently match nothing."""

    def check(value: object) -> str:
        text = _text(value)
        if not text.strip():
            raise problem(f"{field} must not be empty")
        return text

    return PlainValidator(check, json_schema_input_type=Annotated[str, Field(min_length=1)])


def _text_list(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise problem("must be a list of strings")
    return list(value)


def non_empty_text_list(field: str) -> PlainValidator:
    """A list of non-empty strings with at least one entry."""

    def check(value: object) -> list[str]:
        items = _text_list(value)
        if not items:
            raise problem(f"{field} must not be empty")
        if not all(item.strip() for item in items):
            raise problem(f"{field} entries must not be empty")
        return items

    schema = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    return PlainValidator(check, json_schema_input_type=schema)


def require_list(message: str) -> BeforeValidator:
    """Reject non-lists before pydantic would coerce tuples or sets or word it its own way."""

    def check(value: object) -> object:
        if not isinstance(value, list):
            raise problem(message)
        return value

    return BeforeValidator(check)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise problem("must be true or false")
    return value


def _name(value: object) -> str:
    name = _text(value)
    if not 1 <= len(name) <= 255:
        raise problem("name must be 1 to 255 characters")
    if not name.strip():
        raise problem("name must not be blank")
    return name


def _timestamp(value: object) -> str:
    """An ISO 8601 instant that stays within years 1 to 9999 once in UTC (the engine orders
    policies by createdAt in UTC; `0001-01-01T00:00+01:00` would fall before year 1)."""
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise problem(f"`{text}` is not an ISO 8601 timestamp") from None
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise problem(f"`{text}` is outside the years 1 to 9999 once in UTC") from None
    return text


@functools.cache
def iana_timezones() -> frozenset[str]:
    """Every IANA zone name known here (tzdata is a dependency, so the set is complete)."""
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: object) -> str:
    zone = _text(value)
    if zone not in iana_timezones():
        hint = did_you_mean(zone, sorted(iana_timezones()))
        raise problem(f"`{zone}` is not an IANA timezone", hint)
    return zone


def _outcomes(value: object) -> str | list[str]:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return list(value)
    raise problem(OUTCOME_MESSAGE)


def _plain(check: Callable[[object], Any], schema: Any) -> PlainValidator:
    return PlainValidator(check, json_schema_input_type=schema)


Number = Annotated[int | float, _plain(_number, Annotated[float, Field(ge=0)])]
"""A threshold (an amount of budget, a metric value): any finite JSON number ≥ 0, int or
float kept as written."""
Contacts = Annotated[int | float, _plain(_whole, Annotated[int, Field(ge=0, le=MAX_COUNT)])]
"""A cap's maximum number of contacts (see `_whole`)."""
Hours = Annotated[int | float, duration("hours", 3600.0)]
Days = Annotated[int | float, duration("days", 86400.0)]
Count = Annotated[int, _plain(_count, Annotated[int, Field(ge=0)])]
Text = Annotated[str, _plain(_text, str)]
TextList = Annotated[list[str], _plain(_text_list, list[str])]
Flag = Annotated[bool, _plain(_flag, bool)]
Name = Annotated[str, _plain(_name, Annotated[str, Field(min_length=1, max_length=255)])]
Timestamp = Annotated[str, _plain(_timestamp, str)]
"""An ISO 8601 instant, kept verbatim so a round trip reproduces it byte for byte."""
Timezone = Annotated[str, _plain(_timezone, str)]
Outcomes = Annotated[
    str | list[str],
    _plain(
        _outcomes,
        Annotated[str, Field(min_length=1)] | Annotated[list[str], Field(min_length=1)],
    ),
]
Priority = Annotated[int, int_between(0, 100, "priority must be an integer from 0 to 100")]
StartHour = Annotated[int, int_between(0, 23, "startHour must be an integer from 0 to 23")]
EndHour = Annotated[int, int_between(0, 24, "endHour must be an integer from 0 to 24")]
DayOfWeek = Annotated[
    int,
    int_between(0, 6, "daysOfWeek entries must be integers from 0 (Sunday) to 6 (Saturday)"),
]
DaysOfWeek = Annotated[
    list[DayOfWeek],
    require_list("daysOfWeek must be a list of integers from 0 (Sunday) to 6 (Saturday)"),
]

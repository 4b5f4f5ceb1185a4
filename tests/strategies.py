"""Hypothesis strategies for cpol: valid policy JSON built by construction from SPEC §1.

The policy strategies never call the library: every value is valid because of how it is
drawn, so the tests can check that `cpol.plan.parse_policy` accepts all of it (instead of
filtering out whatever the library happens to reject). Reusable by the runtime tests:

    valid_policies()            one policy object (a JSON dict)
    valid_policies(rule_types=("cooldown",))
    policy_sets()               a list of policies with unique names
    configs(rule_type)          the `config` object of one rule type
    scope_fields(form)          scope/scopeId/scopes in one of SCOPE_FORMS
    texts() / non_blank_texts() strings with Unicode, quotes, escapes and control characters
    fuzz_texts(), json_values() bad input for fuzzing (lone surrogates, any JSON)

The `.cpol` source strategies at the end do use the library (the decompiler prints the
canonical text, the grammar's lexer splits it): `canonical_sources()` and
`perturbed_sources()` (the same text as a person might have typed it, with comments).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from random import Random
from typing import Any, NamedTuple

from hypothesis import reject
from hypothesis import strategies as st

from cpol.plan.fields import MAX_COUNT, MAX_DAYS

RULE_TYPES: tuple[str, ...] = (
    "frequency_cap", "cooldown", "budget_exhausted", "outcome_based", "segment_exclusion",
    "time_window", "mutual_exclusion", "cross_channel_cap", "customer_total_cap",
    "offer_category_cap", "allow_override", "category_suppression", "do_not_contact",
    "metric_condition",
)  # fmt: skip
SCOPE_KINDS: tuple[str, ...] = ("global", "offer", "creative", "channel", "category", "subcategory")
STATUSES: tuple[str, ...] = ("draft", "active", "paused", "archived")
PERIOD_TYPES: tuple[str, ...] = ("daily", "weekly", "monthly")
TOTAL_PERIOD_TYPES: tuple[str, ...] = (*PERIOD_TYPES, "alltime")
BUDGET_FIELDS: tuple[str, ...] = ("impressions", "spend", "daily_spend")
OPERATORS: tuple[str, ...] = ("gt", "gte", "lt", "lte", "eq")
PER_DIMENSIONS: tuple[str, ...] = ("offer", "channel", "creative", "category", "subcategory")
TIMEZONES: tuple[str, ...] = (
    "UTC", "America/New_York", "America/Los_Angeles", "America/Sao_Paulo", "Europe/London",
    "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham",
    "Etc/GMT+5",
)  # fmt: skip

#: Characters that have broken string handling somewhere before: quoting, escapes, the
#: comment sign, braces, every kind of line break, control characters, BOM, zero-width
#: space, astral-plane emoji. (Lone surrogates are not here: they are not Unicode text, and
#: cpol rejects them with a diagnostic; the fuzzers feed them as bad input, see SURROGATES.)
SPECIAL_CHARACTERS: tuple[str, ...] = (
    '"', "\\", "/", "'", "#", "{", "}", "[", "]", ",", ":", ".", " ", "\t", "\n", "\r",
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\xa0",
    "\u2028", "\u2029", "\u200b", "\ufeff", "\ufffd", "é", "ß", "İ", "日", "ﷺ", "😀",
    "\U0001f3f3",
)  # fmt: skip

SURROGATES: tuple[str, ...] = ("\ud800", "\udbff", "\udc00", "\udfff")
"""Lone surrogates: what a JSON `"\\ud800"` decodes to. Not Unicode text, so not valid in
a policy (cpol rejects them with a diagnostic); only the fuzzers draw them."""


ABSENT: Any = object()
"""Sentinel drawn for a key that is left out of the object."""


def characters() -> st.SearchStrategy[str]:
    """Any Unicode character (no lone surrogates), the troublemakers above drawn often."""
    return st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cs"]), st.sampled_from(SPECIAL_CHARACTERS)
    )


def texts(*, min_size: int = 0, max_size: int | None = 40) -> st.SearchStrategy[str]:
    """Any string a JSON file can hold (`st.text()` plus the special characters)."""
    return st.text(characters(), min_size=min_size, max_size=max_size)


def fuzz_texts(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Like `texts()`, and half the time with lone surrogates in it: strings that only bad
    input holds."""
    alphabet = st.one_of(characters(), st.sampled_from(SURROGATES))
    side = max(0, max_size // 2 - 1)
    return st.one_of(
        texts(min_size=min_size, max_size=max_size),
        st.builds(
            lambda before, surrogate, after: before + surrogate + after,
            st.text(alphabet, max_size=side),
            st.sampled_from(SURROGATES),
            st.text(alphabet, max_size=side),
        ),
    )


def _non_space_characters() -> st.SearchStrategy[str]:
    return characters().filter(lambda ch: bool(ch.strip()))


def non_blank_texts(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """A string with at least one non-whitespace character, at most `max_size` long."""
    side = max(0, (max_size - 1) // 2)
    return st.builds(
        lambda before, core, after: before + core + after,
        texts(max_size=side),
        _non_space_characters(),
        texts(max_size=side),
    )


def names() -> st.SearchStrategy[str]:
    """Policy names: 1–255 characters, not blank; the boundaries 1 and 255 included."""
    return st.one_of(
        non_blank_texts(max_size=255),
        _non_space_characters(),
        st.builds(
            lambda core, fill: (core + fill * 254)[:255],
            _non_space_characters(),
            st.sampled_from(["x", " ", "\t", "é", "\n"]),
        ),
    )


def numbers() -> st.SearchStrategy[int | float]:
    """A non-negative finite JSON number; ints stay ints and floats stay floats."""
    return st.one_of(
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0),
        st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
        st.sampled_from([0, 0.0, 1, 1.0, 3, 3.0, 0.5, 7.25, 1e-7, 5e-324, 1e16, 2.5e300, 10**30]),
    )


def counts() -> st.SearchStrategy[int | float]:
    """A cap's maximum: a whole number from 0 to MAX_COUNT, int or integral float."""
    return st.one_of(
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=MAX_COUNT),
        st.integers(min_value=0, max_value=10**6).map(float),
        st.sampled_from([0, 0.0, 1, 1.0, 3, 3.0, 1e15, MAX_COUNT]),
    )


def durations(unit_seconds: float) -> st.SearchStrategy[int | float]:
    """A length of time in a unit `unit_seconds` long: 0, or one second to 10,000 years."""
    longest = MAX_DAYS * 86400.0 / unit_seconds
    return st.one_of(
        st.sampled_from([0, 0.0, 1, 1.0, 3, 0.5, 7.25, 24, 48]),
        st.integers(min_value=0, max_value=int(longest)),
        st.floats(min_value=2 / unit_seconds, max_value=longest),
    )


HOURS_LONG = durations(3600.0)
DAYS_LONG = durations(86400.0)


def timestamps() -> st.SearchStrategy[str]:
    """Valid ISO 8601 instants, in the API's `...000Z` spelling and other common ones."""
    zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
    moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31), timezones=zones)
    formats = st.sampled_from(["api", "iso", "seconds", "z"])

    def spell(moment: datetime, style: str) -> str:
        if style == "api":
            utc = moment.astimezone(UTC)
            return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
        if style == "iso":
            return moment.isoformat()
        seconds = moment.isoformat(timespec="seconds")
        return seconds.replace("+00:00", "Z") if style == "z" else seconds

    return st.builds(spell, moments, formats)


def _optional(strategy: st.SearchStrategy[Any], *, nullable: bool) -> st.SearchStrategy[Any]:
    """The value, or ABSENT (key left out), or null when the field is nullable."""
    options = [st.just(ABSENT), strategy]
    if nullable:
        options.append(st.none())
    return st.one_of(*options)


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not ABSENT:
        target[key] = value


# --- config values ----------------------------------------------------------------------


def string_lists(*, min_size: int = 0) -> st.SearchStrategy[list[str]]:
    """Lists of any strings (excludeSegments, excludeOfferIds, appliesAcross)."""
    return st.lists(texts(), min_size=min_size, max_size=5)


def non_blank_lists() -> st.SearchStrategy[list[str]]:
    """Non-empty lists of non-blank strings (excludeCampaignIds, afterOutcome arrays)."""
    return st.lists(non_blank_texts(), min_size=1, max_size=5)


def outcomes() -> st.SearchStrategy[str | list[str]]:
    """afterOutcome / outcome: a string, a one-item array, or a longer array."""
    return st.one_of(
        non_blank_texts(),
        st.lists(non_blank_texts(), min_size=1, max_size=1),
        st.lists(non_blank_texts(), min_size=2, max_size=5),
    )


def hours(*, end: bool = False) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=24 if end else 23)


def days_of_week() -> st.SearchStrategy[list[int]]:
    """Any list of weekdays 0–6: empty, unordered, repeated or a clean run."""
    return st.one_of(
        st.lists(st.integers(0, 6), max_size=9),
        st.lists(st.integers(0, 6), unique=True).map(sorted),
        st.tuples(st.integers(0, 6), st.integers(0, 6)).map(
            lambda ends: list(range(min(ends), max(ends) + 1))
        ),
    )


@st.composite
def _subset(
    draw: st.DrawFn, values: dict[str, st.SearchStrategy[Any]], *, min_size: int = 0
) -> dict[str, Any]:
    """Some of the keys of `values` (at least `min_size`), each with a drawn value."""
    keys = draw(st.sets(st.sampled_from(sorted(values)), min_size=min_size, max_size=len(values)))
    return {key: draw(values[key]) for key in values if key in keys}


def _frequency_caps() -> dict[str, st.SearchStrategy[Any]]:
    return {key: counts() for key in ("maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal")}


@st.composite
def _frequency_cap(draw: st.DrawFn) -> dict[str, Any]:
    older = {"maxContacts": draw(counts()), "windowDays": draw(DAYS_LONG)}
    shape = draw(st.sampled_from(["newer", "older alone", "older with newer"]))
    if shape == "older alone":
        return older
    config = draw(_subset(_frequency_caps(), min_size=1 if shape == "newer" else 0))
    if shape == "older with newer":
        config.update(older)
    filters = {"withinCampaignId": non_blank_texts(), "excludeCampaignIds": non_blank_lists()}
    config.update(draw(_subset(filters)))
    return config


def _with_per(strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """The config with `per` (SPEC §1.1) set to a dimension or left out."""

    def add(config: dict[str, Any], per: Any) -> dict[str, Any]:
        _put(config, "per", per)
        return config

    return st.builds(add, strategy, _optional(st.sampled_from(PER_DIMENSIONS), nullable=False))


@st.composite
def _cross_channel_cap(draw: st.DrawFn) -> dict[str, Any]:
    """The newer `{maxTotal, periodType?}`, the older documents' `{maxContacts, windowDays}`,
    or both; `appliesAcross` with any of them."""
    shape = draw(st.sampled_from(["newer", "older", "both"]))
    config: dict[str, Any] = {}
    if shape != "older":
        config["maxTotal"] = draw(counts())
        _put(config, "periodType", draw(_optional(st.sampled_from(PERIOD_TYPES), nullable=False)))
    if shape != "newer":
        config.update(maxContacts=draw(counts()), windowDays=draw(DAYS_LONG))
    _put(config, "appliesAcross", draw(_optional(string_lists(), nullable=False)))
    return config


@st.composite
def _outcome_based(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(["newer", "older", "mixed"]))
    if shape == "newer":
        return {"afterOutcome": draw(outcomes()), "suppressForDays": draw(DAYS_LONG)}
    if shape == "older":
        return {"outcome": draw(outcomes()), "withinDays": draw(DAYS_LONG)}
    which = draw(_subset({"afterOutcome": outcomes(), "outcome": outcomes()}, min_size=1))
    days = draw(_subset({"suppressForDays": DAYS_LONG, "withinDays": DAYS_LONG}, min_size=1))
    return {**which, **days}


@st.composite
def _segment_exclusion(draw: st.DrawFn) -> dict[str, Any]:
    return draw(_subset({"excludeSegments": string_lists(), "segmentId": texts()}, min_size=1))


def _rule_configs() -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    fixed = st.fixed_dictionaries
    return {
        "frequency_cap": _with_per(_frequency_cap()),
        "cooldown": _with_per(fixed({"cooldownHours": HOURS_LONG})),
        "budget_exhausted": fixed({"budgetField": st.sampled_from(BUDGET_FIELDS), "threshold": numbers()}),
        "outcome_based": _with_per(_outcome_based()),
        "segment_exclusion": _segment_exclusion(),
        "time_window": fixed(
            {},
            optional={
                "startHour": hours(),
                "endHour": hours(end=True),
                "daysOfWeek": days_of_week(),
                "timezone": st.sampled_from(TIMEZONES),
            },
        ),
        "mutual_exclusion": fixed({"excludeOfferIds": string_lists()}),
        "cross_channel_cap": _cross_channel_cap(),
        "customer_total_cap": fixed(
            {"maxTotal": counts()}, optional={"periodType": st.sampled_from(TOTAL_PERIOD_TYPES)}
        ),
        "offer_category_cap": fixed(
            {"targetCategory": non_blank_texts(), "maxTotal": counts()},
            optional={"periodType": st.sampled_from(TOTAL_PERIOD_TYPES)},
        ),
        "allow_override": fixed({}, optional={"reason": texts()}),
        "category_suppression": fixed(
            {"suppressionDays": DAYS_LONG},
            optional={"categoryId": texts(), "subCategoryId": texts()},
        ),
        "do_not_contact": fixed({}, optional={"dncSource": texts(), "reason": texts()}),
        "metric_condition": fixed(
            {"metricId": non_blank_texts()},
            optional={"operator": st.sampled_from(OPERATORS), "threshold": numbers()},
        ),
    }


_CONFIGS = _rule_configs()


@st.composite
def configs(draw: st.DrawFn, rule_type: str) -> dict[str, Any]:
    """A valid `config` of `rule_type`, with `bypassable` true, false or absent."""
    config = dict(draw(_CONFIGS[rule_type]))
    _put(config, "bypassable", draw(_optional(st.booleans(), nullable=False)))
    return config


# --- scopes -----------------------------------------------------------------------------


def scope_ids() -> st.SearchStrategy[str]:
    """A scopeId of a non-global scope: any string but the empty one."""
    return texts(min_size=1)


@st.composite
def scope_refs(draw: st.DrawFn, *, rows: bool = True) -> dict[str, Any]:
    """One valid `{scope, scopeId}` (scopeId absent, null or any string for global), with the
    server's row fields (`id`, `contactPolicyId`, `createdAt`) present, null or absent."""
    kind = draw(st.sampled_from(SCOPE_KINDS))
    ref: dict[str, Any] = {}
    for key in ("id", "contactPolicyId") if rows else ():
        _put(ref, key, draw(_optional(texts(), nullable=True)))
    ref["scope"] = kind
    if kind == "global":
        _put(ref, "scopeId", draw(_optional(texts(), nullable=True)))
    else:
        ref["scopeId"] = draw(scope_ids())
    if rows:
        _put(ref, "createdAt", draw(_optional(timestamps(), nullable=True)))
    return ref


@st.composite
def _single_scope(draw: st.DrawFn) -> dict[str, Any]:
    """scope/scopeId valid on their own: a scope ref, or a bare scopeId (offer by default)."""
    if draw(st.booleans()):
        return draw(scope_refs(rows=False))
    return {"scopeId": draw(scope_ids())}


@st.composite
def _any_single_scope(draw: st.DrawFn) -> dict[str, Any]:
    """scope/scopeId next to a non-empty `scopes` (which overrides them): anything typed."""
    out: dict[str, Any] = {}
    _put(out, "scope", draw(_optional(st.sampled_from(SCOPE_KINDS), nullable=False)))
    _put(out, "scopeId", draw(_optional(texts(), nullable=True)))
    return out


SCOPE_FORMS: tuple[str, ...] = (
    "single", "scopes only", "api", "both differing", "empty scopes", "null scopes",
    "global", "global null scopeId",
)  # fmt: skip


@st.composite
def scope_fields(draw: st.DrawFn, form: str | None = None) -> dict[str, Any]:
    """The scope/scopeId/scopes keys of a policy, in one of SCOPE_FORMS."""
    form = form or draw(st.sampled_from(SCOPE_FORMS))
    refs = st.lists(scope_refs(), min_size=1, max_size=4)
    if form == "single":
        return draw(_single_scope())
    if form == "scopes only":
        return {"scopes": draw(refs)}
    if form == "api":
        scopes = draw(refs)
        single: dict[str, Any] = {key: scopes[0][key] for key in ("scope", "scopeId") if key in scopes[0]}
        return {**single, "scopes": scopes}
    if form == "both differing":
        return {**draw(_any_single_scope()), "scopes": draw(refs)}
    if form == "empty scopes":
        return {**draw(_single_scope()), "scopes": []}
    if form == "null scopes":
        return {**draw(_single_scope()), "scopes": None}
    if form == "global":
        return {"scope": "global"}
    if form == "global null scopeId":
        return {"scope": "global", "scopeId": None}
    raise ValueError(f"unknown scope form {form!r}")


# --- policies ---------------------------------------------------------------------------


@st.composite
def valid_policies(
    draw: st.DrawFn,
    rule_types: Sequence[str] = RULE_TYPES,
    *,
    name: st.SearchStrategy[str] | None = None,
) -> dict[str, Any]:
    """One valid policy object, keys in SPEC order, optional fields absent/null/set."""
    rule_type = draw(st.sampled_from(tuple(rule_types)))
    policy: dict[str, Any] = {}
    _put(policy, "id", draw(_optional(texts(), nullable=True)))
    _put(policy, "tenantId", draw(_optional(texts(), nullable=True)))
    policy["name"] = draw(name if name is not None else names())
    _put(policy, "description", draw(_optional(texts(max_size=80), nullable=True)))
    _put(policy, "status", draw(_optional(st.sampled_from(STATUSES), nullable=False)))
    policy.update(draw(scope_fields()))
    policy["ruleType"] = rule_type
    policy["config"] = draw(configs(rule_type))
    _put(policy, "priority", draw(_optional(st.integers(0, 100), nullable=False)))
    _put(policy, "version", draw(_optional(st.integers(min_value=0), nullable=True)))
    for key in ("deletedAt", "createdAt", "updatedAt"):
        _put(policy, key, draw(_optional(timestamps(), nullable=True)))
    return policy


def policy_sets(
    *, min_size: int = 0, max_size: int = 5, rule_types: Sequence[str] = RULE_TYPES
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A policy file: a list of valid policies whose names are all different."""
    return st.lists(
        valid_policies(rule_types),
        min_size=min_size,
        max_size=max_size,
        unique_by=lambda policy: policy["name"],
    )


# --- any JSON, for fuzzing --------------------------------------------------------------


def json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        fuzz_texts(),
        st.sampled_from(["", "global", "active", "frequency_cap", "2026-03-10T12:00:00Z", "UTC"]),
    )


def json_values(*, max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars, lists and objects nested at random."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(fuzz_texts(max_size=12), children, max_size=5),
        ),
        max_leaves=max_leaves,
    )


# --- .cpol sources ----------------------------------------------------------------------
# These use the library: the canonical text of a plan is whatever the decompiler prints,
# and layouts are perturbed token by token with the grammar's own lexer.

Token = tuple[str, str]
"""(terminal type, text) of one `.cpol` token."""


class CpolSource(NamedTuple):
    """A `.cpol` text, the plan it must compile to, and the comments written into it."""

    text: str
    plan: list[dict[str, Any]]
    comments: list[str]


def lex(text: str) -> list[Token]:
    """The tokens of `text` (whitespace and comments dropped)."""
    from cpol.grammar.parser import get_parser

    return [(token.type, str(token)) for token in get_parser(None).lex(text)]


def comments_of(text: str) -> list[str]:
    """Every comment of `text` as the lexer sees it, trailing whitespace dropped."""
    from cpol.grammar.parser import get_parser

    tokens = get_parser(None).lex(text, dont_ignore=True)
    return [str(token).rstrip() for token in tokens if token.type == "COMMENT"]


@st.composite
def canonical_sources(draw: st.DrawFn, *, max_policies: int = 3) -> CpolSource:
    """The decompiled text of a random valid plan.

    A plan the decompiler refuses (`DecompileError`, a bug that the round-trip tests
    report) has no source text to offer, so it is rejected here.
    """
    import cpol

    plan = draw(policy_sets(max_size=max_policies))
    try:
        text = cpol.to_cpol(cpol.load_json(plan))
    except cpol.DecompileError:
        reject()
    return CpolSource(text, plan, [])


def _statements(text: str) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Canonical text -> [(header line, [(kind, lines)])]; kind is "meta" or "stmt"."""
    policies: list[tuple[str, list[tuple[str, list[str]]]]] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if not lines[index].startswith("policy "):
            index += 1
            continue
        header, statements = lines[index], []
        index += 1
        while lines[index] != "}":
            if lines[index] == "  meta {":
                end = lines.index("  }", index)
                statements.append(("meta", lines[index + 1 : end]))
                index = end + 1
            else:
                statements.append(("stmt", [lines[index]]))
                index += 1
        policies.append((header, statements))
        index += 1
    return policies


WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ALWAYS_ARRAY_AFTER = {"CAMPAIGNS", "SEGMENTS", "EXCLUSIVE", "ACROSS"}
_STRING_OR_ARRAY_AFTER = {"AFTER", "OF"}
_CLAUSE_HEADS = {
    "ONLY": {"BETWEEN", "FROM", "UNTIL", "ON", "IN"},
    "SUPPRESS": {"FOR", "AFTER", "WITHIN", "OF"},
}


def _between_as_from_until(tokens: list[Token], rnd: Random) -> list[Token]:
    """`between 8:00 and 9:00` -> `from 8:00 until 9:00` (sets the same two keys)."""
    out = list(tokens)
    for index, (kind, _) in enumerate(tokens):
        if kind == "BETWEEN" and rnd.random() < 0.5:
            out[index], out[index + 2] = ("FROM", "from"), ("UNTIL", "until")
    return out


def _string_run(tokens: list[Token], start: int) -> int:
    """Index of the last STRING of the `"a", "b", ...` run starting at `start`."""
    end = start
    while end + 2 < len(tokens) and tokens[end + 1][0] == "COMMA" and tokens[end + 2][0] == "STRING":
        end += 2
    return end


def _respell_one(kind: str, text: str, rnd: Random) -> Token:
    if kind == "CLOCK":
        hours = text.split(":")[0]
        return rnd.choice([("NUMBER", hours), ("CLOCK", f"0{text}"), ("NUMBER", f"0{hours}")])
    if kind == "NUMBER" and text.isdigit():
        return (kind, f"0{text}")
    if kind == "NUMBER" and "e" in text:
        return (kind, text.upper())
    if kind == "NUMBER" and "." in text:
        return (kind, f"{text}0")
    if kind in ("HOURS", "HOUR"):  # only in `cooldown N hours`
        return ("HOUR", "hour") if kind == "HOURS" else ("HOURS", "hours")
    if kind in ("REACH", "REACHES"):
        return ("REACHES", "reaches") if kind == "REACH" else ("REACH", "reach")
    if kind == "OPERATOR" and text == "=":
        return (kind, "==")
    return (kind, text)


def _respell(tokens: list[Token], rnd: Random) -> list[Token]:
    """Non-canonical spellings that mean the same: `8` / `08:00` for `8:00`, `hour(s)`,
    `day(s)`, `reaches`/`reach`, `==`, bracketed lists, `010` / `2.50` / `1E-07`, `MON, Tue, wed`
    for `mon..wed`, `from 8:00 until 9:00` for `between 8:00 and 9:00`."""
    tokens = _between_as_from_until(tokens, rnd)
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        flip = rnd.random() < 0.5
        followed_by_string = index + 1 < len(tokens) and tokens[index + 1][0] == "STRING"
        if kind == "WORD" and text in WEEKDAY_NAMES and flip:
            first = last = WEEKDAY_NAMES.index(text)
            if index + 2 < len(tokens) and tokens[index + 1][1] == "..":
                last = WEEKDAY_NAMES.index(tokens[index + 2][1])
                index += 2
            for step in range((last - first) % 7 + 1):
                day = WEEKDAY_NAMES[(first + step) % 7]
                out += [("COMMA", ",")] if step else []
                out.append(("WORD", rnd.choice([day, day.upper(), day.title()])))
        elif kind in _ALWAYS_ARRAY_AFTER | _STRING_OR_ARRAY_AFTER and followed_by_string:
            end = _string_run(tokens, index + 1)
            items = tokens[index + 1 : end + 1]
            out.append((kind, text))
            if flip and (kind in _ALWAYS_ARRAY_AFTER or len(items) > 1):
                out += [("LSQB", "["), *items, ("RSQB", "]")]
            else:
                out += items
            index = end
        elif kind in ("DAYS", "DAY") and index and tokens[index - 1][0] == "NUMBER" and flip:
            out.append(("DAY", "day") if kind == "DAYS" else ("DAYS", "days"))  # `N days`
        else:
            out.append(_respell_one(kind, text, rnd) if flip else (kind, text))
        index += 1
    return out


def _split_at(tokens: list[Token], heads: set[str]) -> list[list[Token]]:
    parts: list[list[Token]] = []
    for token in tokens:
        if token[0] in heads or not parts:
            parts.append([])
        parts[-1].append(token)
    return parts


def _reorder_clauses(tokens: list[Token], rnd: Random) -> list[Token]:
    """Shuffle the clauses of a rule sentence where the grammar takes them in any order."""
    first = tokens[0][0]
    if first in _CLAUSE_HEADS and (first != "SUPPRESS" or tokens[1][0] in _CLAUSE_HEADS[first]):
        clauses = _split_at(tokens[1:], _CLAUSE_HEADS[first])
        rnd.shuffle(clauses)
        return [tokens[0], *(token for clause in clauses for token in clause)]
    if first == "CAP":  # frequency_cap: cap items, then campaign filters and `for each`
        tails = {"WITHIN", "EXCLUDING", "FOR"}
        cut = next((i for i, t in enumerate(tokens) if t[0] in tails), len(tokens))
        parts = _split_at(tokens[1:cut], {"COMMA"})
        items = [part[1:] if part[0][0] == "COMMA" else part for part in parts]
        filters = _split_at(tokens[cut:], tails)
        rnd.shuffle(items)
        rnd.shuffle(filters)
        joined: list[Token] = [tokens[0]]
        for position, item in enumerate(items):
            joined += [("COMMA", ",")] if position else []
            joined += item
        return joined + [token for part in filters for token in part]
    return tokens


_SPACES = (" ", "  ", "\t", "\n", "\n  ", "\n\n", " \n\t ", "\r\n", "\f", "\n\n\n    ")


def _word_like(text: str) -> bool:
    return text[:1].isalnum() or text[:1] == "_"


_STYLES = ("tight", "spaced", "token per line", "anything")


def _gap(
    before: str | None, after: str | None, notes: list[tuple[bool, str]], rnd: Random, style: str
) -> str:
    """What goes between two tokens: whitespace, and comments each ending its line."""
    needs_space = before is not None and after is not None and _word_like(before[-1:]) and _word_like(after)
    if style == "tight":
        gap = " " if needs_space else ""
    elif style == "spaced":
        gap = rnd.choice([" ", "  ", "\t"])
    elif style == "token per line":
        gap = rnd.choice(["\n", "\n  ", "\r\n"])
    else:
        gap = rnd.choice(_SPACES) if needs_space or rnd.random() < 0.5 else ""
    for own_line, comment in notes:
        if own_line:
            gap += "\n" + rnd.choice(["", "  ", "\t"]) + comment + "\n"
        else:
            gap += rnd.choice([" ", "  ", "\t", ""]) + comment + "\n"
    if notes and after is not None:
        gap += rnd.choice(["", "  ", "    "])
    return gap


def layout(tokens: list[Token], comments: list[str], rnd: Random) -> str:
    """Tokens joined with random whitespace, `comments` inserted between random tokens,
    on their own line or at the end of one; the text ends with or without a newline."""
    style = rnd.choice(_STYLES)
    notes: dict[int, list[tuple[bool, str]]] = {}
    for comment in comments:
        notes.setdefault(rnd.randint(0, len(tokens)), []).append((rnd.random() < 0.5, comment))
    texts = [text for _, text in tokens]
    out = []
    for index in range(len(texts) + 1):
        before = texts[index - 1] if index > 0 else None
        after = texts[index] if index < len(texts) else None
        out.append(_gap(before, after, notes.get(index, []), rnd, style))
        if after is not None:
            out.append(after)
    return "".join(out)


def comment_texts() -> st.SearchStrategy[str]:
    """`# ...` comments: any characters but a line feed (which would end the comment)."""
    body = texts(max_size=30).map(lambda text: text.replace("\n", " "))
    return st.builds(lambda prefix, text: prefix + text, st.sampled_from(["#", "# ", "##"]), body)


def _policy_tokens(header: str, statements: list[tuple[str, list[str]]], rnd: Random) -> list[Token]:
    tokens = lex(header)
    statements = list(statements)
    rnd.shuffle(statements)
    for kind, lines in statements:
        if kind == "meta":
            fields = list(lines)
            rnd.shuffle(fields)
            tokens += [("META", "meta"), ("LBRACE", "{")]
            tokens += [token for line in fields for token in _respell(lex(line), rnd)]
            tokens.append(("RBRACE", "}"))
        else:
            tokens += _respell(_reorder_clauses(lex(lines[0]), rnd), rnd)
    tokens.append(("RBRACE", "}"))
    return tokens


@st.composite
def perturbed_sources(draw: st.DrawFn, *, max_policies: int = 3) -> CpolSource:
    """A decompiled plan rewritten the way a person might have typed it: statements and
    clauses in another order, non-canonical spellings, random whitespace and line breaks
    between tokens, and comments on their own lines and at line ends."""
    canonical = draw(canonical_sources(max_policies=max_policies))
    rnd = draw(st.randoms(use_true_random=False))
    comments = draw(st.lists(comment_texts(), max_size=12))
    tokens = [
        token
        for header, statements in _statements(canonical.text)
        for token in _policy_tokens(header, statements, rnd)
    ]
    return CpolSource(layout(tokens, comments, rnd), canonical.plan, comments)

"""A policy test file (`*.test.yaml`), read into test cases with every problem located.

The format is described for its users in docs/testing.md. In short:

    policies: [../../examples/all_rule_types.cpol]     # .cpol or .json, relative to this file
    use:                                               # standard-library modules
      - compliance/adverse_outcomes_quarantine
      - module: fatigue/email_weekly_cap
        with: {maxPerWeek: 2}
    now: 2026-03-20T14:00Z                             # defaults for every test
    customer: {id: cust_1, timezone: America/New_York}
    tests:
      - name: a complaint 3 days ago quarantines every offer
        history:
          - {at: 3 days ago, outcome: complaint, offer: off_1, channel: ch_email}
        candidates:
          - offer: off_2
            channel: ch_email
            expect: {blocked_by: Adverse outcomes quarantine, eligible_at: in 87 days}

Friendly keys (`offer`, `channel`, `at`, `blocked_by`…) and the SPEC's JSON names
(`offerId`, `channelId`, `timestamp`, `blockedBy`…) are both accepted. Each test becomes a
SPEC §2 request, validated by the runtime's own request model; its problems are reported
at the YAML line that wrote the faulty value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cpol.diagnostics import Diagnostic, Diagnostics, Span, did_you_mean, json_path
from cpol.runtime import Request, parse_request
from cpol.testing.times import TimeError, iso, parse_time
from cpol.testing.yamlnodes import Node, YamlDocument

# Keys: what the user may write -> the name used here (the SPEC's JSON name where there is one).

REQUEST_KEYS = {
    "now": "now",
    "customer": "customer",
    "history": "history",
    "interactions": "history",
    "budgets": "budgets",
    "suppressions": "suppressions",
    "served_offers": "served_offers",
    "servedOfferIds": "served_offers",
    "session": "session",
}
FILE_KEYS = {
    **REQUEST_KEYS,
    "name": "name",
    "description": "description",
    "policies": "policies",
    "use": "use",
    "tests": "tests",
}
TEST_KEYS = {
    **REQUEST_KEYS,
    "name": "name",
    "description": "description",
    "candidates": "candidates",
    "expect": "expect",
}
CUSTOMER_KEYS = {key: key for key in ("id", "timezone", "segments", "metrics", "dnc", "consent")}
_IDS = {
    "offer": "offerId",
    "offerId": "offerId",
    "offer_id": "offerId",
    "channel": "channelId",
    "channelId": "channelId",
    "channel_id": "channelId",
    "creative": "creativeId",
    "creativeId": "creativeId",
    "creative_id": "creativeId",
    "category": "categoryId",
    "categoryId": "categoryId",
    "category_id": "categoryId",
    "subcategory": "subCategoryId",
    "sub_category": "subCategoryId",
    "subCategoryId": "subCategoryId",
    "subcategory_id": "subCategoryId",
    "offer_category": "offerCategory",
    "offerCategory": "offerCategory",
}
CANDIDATE_KEYS = {
    **_IDS,
    "channel_type": "channelType",
    "channelType": "channelType",
    "mandatory": "isMandatory",
    "isMandatory": "isMandatory",
    "is_mandatory": "isMandatory",
    "expect": "expect",
}
HISTORY_KEYS = {
    **_IDS,
    "at": "timestamp",
    "when": "timestamp",
    "timestamp": "timestamp",
    "outcome": "outcome",
    "campaign": "campaignId",
    "campaignId": "campaignId",
    "campaign_id": "campaignId",
    "id": "id",
    "times": "times",
}
SUPPRESSION_KEYS = {
    "id": "id",
    "scope": "scope",
    "scopeId": "scopeId",
    "scope_id": "scopeId",
    "offerName": "offerName",
    "offer_name": "offerName",
    "policyType": "policyType",
    "policy_type": "policyType",
    "reason": "reason",
    "expiresAt": "expiresAt",
    "expires_at": "expiresAt",
    "expires": "expiresAt",
    "isActive": "isActive",
    "is_active": "isActive",
    "active": "isActive",
}
EXPECT_KEYS = {
    "allowed": "allowed",
    "blocked_by": "blockedBy",
    "blockedBy": "blockedBy",
    "eligible_at": "eligibleAt",
    "eligibleAt": "eligibleAt",
    "overridden_by": "overriddenBy",
    "overriddenBy": "overriddenBy",
}
USE_KEYS = {"module": "module", "with": "with"}

DEFAULT_CUSTOMER_ID = "test_customer"
DEFAULT_OUTCOME = "impression"
MAX_REPEAT = 10_000
NEVER = ("never", "null", "none", "not by time", "not by time alone")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Fields = dict[str, tuple[str, Node]]


@dataclass(frozen=True)
class NameRef:
    """A policy (or gate) named in an expectation, and where it was written."""

    name: str
    span: Span


@dataclass(frozen=True)
class Expectation:
    """What a candidate's decision must be. `allowed` None: not checked (override only).

    `blocked_by` with `all_blockers` False names the first block; True, every block (in
    any order). `eligible_at` is checked when `check_eligible` (None: never by time).
    """

    span: Span
    allowed: bool | None
    blocked_by: tuple[NameRef, ...] = ()
    all_blockers: bool = False
    check_eligible: bool = False
    eligible_at: datetime | None = None
    check_override: bool = False
    overridden_by: NameRef | None = None

    def names(self) -> list[NameRef]:
        return [*self.blocked_by, *([self.overridden_by] if self.overridden_by else [])]


@dataclass(frozen=True)
class CandidateCase:
    """One candidate of a test: its request JSON and what its decision must be."""

    index: int
    data: dict[str, Any]
    expect: Expectation | None
    span: Span

    @property
    def label(self) -> str:
        """`#2 off_news on ch_email`."""
        label = f"#{self.index + 1} {self.data.get('offerId')}"
        if self.data.get("channelId"):
            label += f" on {self.data['channelId']}"
        elif self.data.get("channelType"):
            label += f" on {self.data['channelType']}"
        return label


@dataclass
class TestCase:
    """One named test: a SPEC §2 request and the expected decisions of its candidates."""

    __test__ = False  # not a pytest class

    name: str
    span: Span
    request: dict[str, Any]
    candidates: list[CandidateCase]
    parsed: Request | None = None
    raw: Any = None


@dataclass(frozen=True)
class PolicyFile:
    """An entry of `policies:`: a `.cpol` or `.json` file, relative to the test file."""

    path: str
    span: Span


@dataclass(frozen=True)
class UseEntry:
    """An entry of `use:`: a module, its parameters (name, value node, key span)."""

    module: str
    params: tuple[tuple[str, Node, Span], ...]
    span: Span
    module_span: Span


@dataclass
class TestFile:
    """A parsed test file; `document` points diagnostics at its lines."""

    __test__ = False

    path: str
    document: YamlDocument
    title: str
    policy_files: list[PolicyFile] = field(default_factory=list)
    uses: list[UseEntry] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)


def read_test_file(text: str, filename: str) -> TestFile:
    """Parse a test file; raise `Diagnostics` with every problem found in it."""
    parsed, problems = read_test_file_partly(text, filename)
    if problems or parsed is None:
        raise Diagnostics(problems)
    return parsed


def read_test_file_partly(text: str, filename: str) -> tuple[TestFile | None, list[Diagnostic]]:
    """What could be read of a test file, and its problems (the runner still compiles the
    policies of a file whose tests have problems, to report everything at once)."""
    try:
        document = YamlDocument(text, filename)
    except Diagnostics as problems:
        return None, problems.items
    reader = _Reader(document)
    parsed = reader.file(document.root)
    # defaults at the top of the file are read once per test: say each problem once
    unique = {(d.message, d.span, d.hint): d for d in reader.problems}
    return parsed, sorted(unique.values(), key=lambda d: d.span.start if d.span else -1)


class _Reader:
    """Reads the nodes of one file, collecting problems instead of stopping at the first."""

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.problems: list[Diagnostic] = []

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(self.document.diagnostic(message, span, hint))

    # Generic readers ---------------------------------------------------------------------

    def fields(self, node: Node, table: Mapping[str, str], what: str) -> Fields | None:
        if not node.is_map:
            self.error(f"{what} must be a mapping of `key: value` lines, not {node.kind()}", node.span)
            return None
        out: Fields = {}
        for key, value in node.items():
            canonical = table.get(key)
            if canonical is None:
                known = sorted(table)
                hint = did_you_mean(key, known) or "known keys: " + ", ".join(known)
                self.error(f"unknown key `{key}` in {what}", node.key_span(key), hint)
                continue
            if canonical in out:
                other = out[canonical][0]
                self.error(
                    f"`{key}` and `{other}` both set {canonical}", node.key_span(key), "keep one of them"
                )
                continue
            out[canonical] = (key, value)
        return out

    def text(self, node: Node, what: str, *, ids: bool = True) -> str | None:
        """A string (a whole number is accepted as an id: `offer: 1234`)."""
        value = node.value
        if isinstance(value, str):
            if not value.strip():
                self.error(f"{what} cannot be empty", node.span)
                return None
            return value
        if ids and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        self.error(f"{what} must be text, not {node.kind()}", node.span)
        return None

    def strings(self, node: Node, what: str) -> list[str] | None:
        """A list of strings; a single string is a list of one."""
        if node.is_scalar and node.value is not None:
            single = self.text(node, what)
            return None if single is None else [single]
        if not node.is_list:
            self.error(f"{what} must be a list, not {node.kind()}", node.span)
            return None
        out = [self.text(item, f"each of {what}") for item in node.elements()]
        return None if None in out else [item for item in out if item is not None]

    def time(self, node: Node, now: datetime | None, what: str) -> datetime | None:
        value = node.value
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.error(
                    f"{what} must be a time, not a number",
                    node.span,
                    "e.g. `3 days ago` or `2026-03-19T10:00Z`",
                )
            else:
                self.error(f"{what} must be a time, not {node.kind()}", node.span)
            return None
        try:
            return parse_time(value, now)
        except TimeError as error:
            self.error(f"{what}: {error.message}", node.span, error.hint)
            return None

    # The file ----------------------------------------------------------------------------

    def file(self, root: Node) -> TestFile | None:
        fields = self.fields(root, FILE_KEYS, "a test file")
        if fields is None:
            return None
        title = self.document.filename
        if "name" in fields:
            title = self.text(fields["name"][1], "`name`", ids=False) or title
        parsed = TestFile(self.document.filename, self.document, title)
        if "policies" in fields:
            parsed.policy_files = self.policy_files(fields["policies"][1])
        if "use" in fields:
            parsed.uses = self.uses(fields["use"][1])
        if "policies" not in fields and "use" not in fields:
            self.error(
                "the test file names no policies",
                root.span,
                "add `policies: [my_policies.cpol]` (relative to this file) or `use: [module]`",
            )
        defaults = {key: value for key, value in fields.items() if key in REQUEST_KEYS.values()}
        if "now" in defaults:  # read here too, in case every test has its own
            self.time(defaults["now"][1], None, "`now`")
        if "tests" not in fields:
            self.error("the test file has no `tests:`", root.span, "add `tests:` with a list of tests")
            return parsed
        tests_node = fields["tests"][1]
        if not tests_node.is_list or not tests_node.elements():
            self.error("`tests` must be a non-empty list of tests", tests_node.span)
            return parsed
        seen: dict[str, Span] = {}
        for number, item in enumerate(tests_node.elements()):
            case = self.test(item, number, defaults)
            if case is None:
                continue
            if case.name in seen:
                first = seen[case.name].line
                self.error(f"two tests are named `{case.name}`", case.span, f"the first is on line {first}")
            seen.setdefault(case.name, case.span)
            parsed.tests.append(case)
        return parsed

    def policy_files(self, node: Node) -> list[PolicyFile]:
        items = node.elements() if node.is_list else [node]
        out = []
        for item in items:
            path = self.text(item, "a policy file", ids=False)
            if path is not None:
                out.append(PolicyFile(path, item.span))
        return out

    def uses(self, node: Node) -> list[UseEntry]:
        items = node.elements() if node.is_list else [node]
        out = []
        for item in items:
            if item.is_scalar:
                module = self.text(item, "a `use` module", ids=False)
                if module is not None:
                    out.append(UseEntry(module, (), item.span, item.span))
                continue
            fields = self.fields(item, USE_KEYS, "a `use` entry")
            if fields is None:
                continue
            if "module" not in fields:
                self.error(
                    "a `use` entry needs a `module`", item.span, 'e.g. module: "fatigue/email_weekly_cap"'
                )
                continue
            module_node = fields["module"][1]
            module = self.text(module_node, "`module`", ids=False)
            params: list[tuple[str, Node, Span]] = []
            if "with" in fields:
                params = self.use_params(fields["with"][1])
            if module is not None:
                out.append(UseEntry(module, tuple(params), item.span, module_node.span))
        return out

    def use_params(self, node: Node) -> list[tuple[str, Node, Span]]:
        if not node.is_map:
            self.error(f"`with` must be a mapping of parameters, not {node.kind()}", node.span)
            return []
        out = []
        for key, value in node.items():
            if not _WORD.fullmatch(key):
                self.error(f"`{key}` is not a parameter name", node.key_span(key), "parameters are JSON keys")
                continue
            if not _cpol_value_ok(value):
                self.error(
                    f"the value of `{key}` cannot be given in a `use`",
                    value.span,
                    "a parameter is text, a number, true, false, null or a list of those",
                )
                continue
            out.append((key, value, node.key_span(key)))
        return out

    # One test ----------------------------------------------------------------------------

    def test(self, node: Node, number: int, defaults: Fields) -> TestCase | None:
        fields = self.fields(node, TEST_KEYS, "a test")
        if fields is None:
            return None
        name = f"test {number + 1}"
        if "name" in fields:
            name = self.text(fields["name"][1], "a test's `name`", ids=False) or name
        else:
            self.error(
                "this test has no `name`", node.span, "add `name:` saying what it checks, in a sentence"
            )
        own = {key: value for key, value in fields.items() if key in REQUEST_KEYS.values()}
        inherited = dict(defaults)
        if "served_offers" in own or "session" in own:  # two spellings of one thing
            inherited.pop("served_offers", None)
            inherited.pop("session", None)
        merged = {**inherited, **own}
        builder = _RequestBuilder(self, node)
        now = builder.now(merged.get("now"))
        builder.customer(defaults.get("customer"), fields.get("customer"))
        if "history" in merged:
            builder.history(merged["history"][1], now)
        if "budgets" in merged:
            builder.plain("budgets", merged["budgets"][1])
        if "suppressions" in merged:
            builder.suppressions(merged["suppressions"][1], now)
        builder.session(merged.get("served_offers"), merged.get("session"))
        shared = self.expectation(fields["expect"][1], now) if "expect" in fields else None
        candidates: list[CandidateCase] = []
        if "candidates" not in fields:
            self.error(
                "this test has no `candidates`", node.span, "add `candidates:` with the offers to decide"
            )
        else:
            candidates = builder.candidates(fields["candidates"][1], now, shared)
            if candidates and shared is None and "expect" not in fields and not builder.expectations:
                self.error(
                    "this test checks nothing: no candidate has an `expect`",
                    fields["candidates"][1].span,
                    "add `expect: allowed`, `expect: blocked by <policy name>` or a mapping",
                )
        case = TestCase(name, node.span, builder.request, candidates)
        if not builder.ok:
            return case
        try:
            case.parsed, case.raw = parse_request(builder.request, self.document.filename)
        except Diagnostics as problems:
            for problem in problems.items:
                span = builder.span_for(problem.path or "")
                self.error(f"`{problem.path}` {problem.message}", span)
        return case

    # Expectations ------------------------------------------------------------------------

    def expectation(self, node: Node, now: datetime | None) -> Expectation | None:
        if isinstance(node.value, str):
            return self.expectation_words(node)
        if isinstance(node.value, bool):
            self.error(
                "`expect` must say `allowed`, `blocked` or `blocked by <policy name>`",
                node.span,
                "write `expect: allowed` or `expect: blocked` (not true/false)",
            )
            return None
        fields = self.fields(node, EXPECT_KEYS, "`expect`")
        if fields is None:
            return None
        if not fields:
            self.error(
                "this `expect` checks nothing", node.span, "give `allowed`, `blocked_by` or `eligible_at`"
            )
            return None
        ok = True
        allowed: bool | None = None
        if "allowed" in fields:
            value = fields["allowed"][1]
            if isinstance(value.value, bool):
                allowed = value.value
            else:
                self.error(f"`allowed` must be true or false, not {value.kind()}", value.span)
                ok = False
        blocked_by: tuple[NameRef, ...] = ()
        all_blockers = False
        if "blockedBy" in fields:
            value = fields["blockedBy"][1]
            all_blockers = value.is_list
            names = self.strings(value, "`blocked_by`")
            if names is None:
                ok = False
            elif not names:
                self.error(
                    "`blocked_by` lists no policy", value.span, "to expect no block, write `allowed: true`"
                )
                ok = False
            items = value.elements() if value.is_list else [value]
            blocked_by = tuple(NameRef(n, item.span) for n, item in zip(names or [], items, strict=False))
        check_eligible = "eligibleAt" in fields
        eligible_at: datetime | None = None
        if check_eligible:
            value = fields["eligibleAt"][1]
            if not (value.value is None or (isinstance(value.value, str) and value.value.lower() in NEVER)):
                eligible_at = self.time(value, now, "`eligible_at`")
                ok = ok and eligible_at is not None
        check_override = "overriddenBy" in fields
        overridden_by: NameRef | None = None
        if check_override:
            value = fields["overriddenBy"][1]
            if value.value is not None:
                name = self.text(value, "`overridden_by`", ids=False)
                ok = ok and name is not None
                overridden_by = NameRef(name, value.span) if name is not None else None
        if allowed is True and (blocked_by or check_eligible):
            key = "blocked_by" if blocked_by else "eligible_at"
            self.error(f"`allowed: true` contradicts `{key}`", node.span, "an allowed candidate has no block")
            return None
        if allowed is None and (blocked_by or check_eligible):
            allowed = False
        if not ok:
            return None
        return Expectation(
            node.span,
            allowed,
            blocked_by,
            all_blockers,
            check_eligible,
            eligible_at,
            check_override,
            overridden_by,
        )

    def expectation_words(self, node: Node) -> Expectation | None:
        assert isinstance(node.value, str)
        words = " ".join(node.value.split())
        lowered = words.lower()
        if lowered == "allowed":
            return Expectation(node.span, True)
        if lowered == "blocked":
            return Expectation(node.span, False)
        if lowered.startswith("blocked by "):
            name = words[len("blocked by ") :].strip()
            if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
                name = name[1:-1]
            return Expectation(node.span, False, (NameRef(name, node.span),))
        self.error(
            f"`expect: {words}` is not an expectation",
            node.span,
            "write `allowed`, `blocked`, `blocked by <policy name>`, or a mapping such as "
            "{blocked_by: <policy name>, eligible_at: in 2 days}",
        )
        return None


def _cpol_value_ok(node: Node) -> bool:
    if node.is_map:
        return False
    if node.is_list:
        return all(item.is_scalar for item in node.elements())
    return True


class _RequestBuilder:
    """Builds the SPEC §2 request of one test and remembers which node wrote each path."""

    def __init__(self, reader: _Reader, test: Node) -> None:
        self.reader = reader
        self.test = test
        self.request: dict[str, Any] = {}
        self.spans: dict[str, Span] = {"": test.span}
        self.ok = True
        self.expectations = 0  # candidates with an `expect` of their own, valid or not

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        self.ok = False
        self.reader.error(message, span, hint)

    def at(self, path: tuple[str | int, ...], node: Node) -> None:
        self.spans[json_path(path)] = node.span

    def span_for(self, path: str) -> Span:
        """The span of the closest recorded path (`interactions[2].timestamp`, then shorter)."""
        while path:
            if path in self.spans:
                return self.spans[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.test.span

    def now(self, given: tuple[str, Node] | None) -> datetime | None:
        if given is None:
            self.error(
                "this test has no `now`",
                self.test.span,
                "give the instant of the decision in the test, or for every test at the top of the file: "
                "`now: 2026-03-20T14:00Z`",
            )
            return None
        node = given[1]
        moment = self.reader.time(node, None, "`now`")
        if moment is None:
            self.ok = False
            return None
        self.request["now"] = iso(moment)
        self.at(("now",), node)
        return moment

    def customer(self, defaults: tuple[str, Node] | None, own: tuple[str, Node] | None) -> None:
        merged: Fields = {}
        for given in (defaults, own):
            if given is None:
                continue
            fields = self.reader.fields(given[1], CUSTOMER_KEYS, "`customer`")
            if fields is None:
                self.ok = False
                continue
            merged.update(fields)
        customer: dict[str, Any] = {"id": DEFAULT_CUSTOMER_ID}
        for key, (_, node) in merged.items():
            self.at(("customer", key), node)
            if key in ("segments", "dnc"):
                values = self.reader.strings(node, f"`customer.{key}`") if node.value is not None else []
                if values is None:
                    self.ok = False
                    continue
                customer[key] = values
                for index, item in enumerate(node.elements()):
                    self.at(("customer", key, index), item)
            elif key == "timezone" and isinstance(node.value, str):
                customer[key] = node.value
                if not _known_zone(node.value):
                    self.error(
                        f"unknown time zone `{node.value}`",
                        node.span,
                        "use an IANA zone such as America/New_York (the engine would silently use UTC)",
                    )
            else:
                customer[key] = node.plain()
                for sub, item in node.items():
                    self.at(("customer", key, sub), item)
        self.request["customer"] = customer

    def history(self, node: Node, now: datetime | None) -> None:
        if not node.is_list:
            self.error(f"`history` must be a list of interactions, not {node.kind()}", node.span)
            return
        interactions: list[dict[str, Any]] = []
        for item in node.elements():
            fields = self.reader.fields(item, HISTORY_KEYS, "an interaction")
            if fields is None:
                self.ok = False
                continue
            interaction: dict[str, Any] = {}
            times = 1
            spans: dict[str, Node] = {}
            for key, (_, value) in fields.items():
                spans[key] = value
                if key == "timestamp":
                    moment = self.reader.time(value, now, "`at`")
                    if moment is None:
                        self.ok = False
                    else:
                        interaction["timestamp"] = iso(moment)
                elif key == "times":
                    count = value.value
                    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_REPEAT:
                        self.error(f"`times` must be a whole number from 1 to {MAX_REPEAT}", value.span)
                    else:
                        times = count
                else:
                    text = self.reader.text(value, f"`{fields[key][0]}`") if value.value is not None else None
                    if text is None and value.value is not None:
                        self.ok = False
                    interaction[key] = text
            if "timestamp" not in fields:
                self.error("this interaction has no time", item.span, "add `at:`, e.g. at: 3 days ago")
            interaction.setdefault("outcome", DEFAULT_OUTCOME)
            for _ in range(times):
                index = len(interactions)
                interactions.append(dict(interaction))
                self.at(("interactions", index), item)
                for key, value in spans.items():
                    self.at(("interactions", index, key), value)
        self.request["interactions"] = interactions

    def plain(self, key: str, node: Node) -> None:
        self.request[key] = node.plain()
        self._record((key,), node)

    def _record(self, path: tuple[str | int, ...], node: Node) -> None:
        self.at(path, node)
        for key, item in node.items():
            self._record((*path, key), item)
        for index, item in enumerate(node.elements()):
            self._record((*path, index), item)

    def suppressions(self, node: Node, now: datetime | None) -> None:
        if not node.is_list:
            self.error(f"`suppressions` must be a list, not {node.kind()}", node.span)
            return
        records = []
        for index, item in enumerate(node.elements()):
            fields = self.reader.fields(item, SUPPRESSION_KEYS, "a suppression")
            if fields is None:
                self.ok = False
                continue
            record: dict[str, Any] = {}
            self.at(("suppressions", index), item)
            for key, (_, value) in fields.items():
                self.at(("suppressions", index, key), value)
                if key == "expiresAt" and value.value is not None:
                    moment = self.reader.time(value, now, "`expires`")
                    if moment is None:
                        self.ok = False
                    else:
                        record[key] = iso(moment)
                else:
                    record[key] = value.plain()
            records.append(record)
        self.request["suppressions"] = records

    def session(self, served: tuple[str, Node] | None, session: tuple[str, Node] | None) -> None:
        if served is not None and session is not None:
            self.error("give `served_offers` or `session`, not both", session[1].span)
            return
        if session is not None:
            self.plain("session", session[1])
        elif served is not None:
            offers = self.reader.strings(served[1], f"`{served[0]}`")
            if offers is None:
                self.ok = False
                return
            self.request["session"] = {"servedOfferIds": offers}
            self.at(("session",), served[1])
            for index, item in enumerate(served[1].elements()):
                self.at(("session", "servedOfferIds", index), item)

    def candidates(self, node: Node, now: datetime | None, shared: Expectation | None) -> list[CandidateCase]:
        if not node.is_list or not node.elements():
            self.error("`candidates` must be a non-empty list of offers to decide", node.span)
            return []
        out: list[CandidateCase] = []
        sent: list[dict[str, Any]] = []
        for index, item in enumerate(node.elements()):
            self.at(("candidates", index), item)
            if item.is_scalar:
                offer = self.reader.text(item, "a candidate")
                if offer is None:
                    self.ok = False
                    continue
                data: dict[str, Any] = {"offerId": offer}
                out.append(CandidateCase(index, data, shared, item.span))
                sent.append(data)
                continue
            fields = self.reader.fields(item, CANDIDATE_KEYS, "a candidate")
            if fields is None:
                self.ok = False
                continue
            data = {}
            expect = shared
            for key, (written, value) in fields.items():
                self.at(("candidates", index, key), value)
                if key == "expect":
                    self.expectations += 1
                    expect = self.reader.expectation(value, now)
                    if expect is None:
                        self.ok = False
                elif key == "isMandatory":
                    if not isinstance(value.value, bool):
                        self.error(f"`{written}` must be true or false, not {value.kind()}", value.span)
                    data[key] = value.value
                elif value.value is not None:
                    text = self.reader.text(value, f"`{written}`")
                    if text is None:
                        self.ok = False
                    data[key] = text
            if "offerId" not in data:
                self.error("this candidate has no offer", item.span, "add `offer:` with its offer id")
            out.append(CandidateCase(index, data, expect, item.span))
            sent.append(data)
        self.request["candidates"] = sent
        return out


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def cpol_value(node: Node) -> str:
    """A YAML value as a `.cpol` literal (for a `use … with` parameter)."""
    value = node.value
    if isinstance(value, list):
        return "[" + ", ".join(cpol_value(item) for item in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)

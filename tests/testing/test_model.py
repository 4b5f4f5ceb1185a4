"""Reading test files: the request each test becomes, and every problem at its YAML line."""

from __future__ import annotations

import textwrap

import pytest

from cpol.diagnostics import Diagnostics
from cpol.testing.model import TestFile, read_test_file
from cpol.testing.yamlnodes import YamlDocument

HEAD = """\
use: [fatigue/email_weekly_cap]
now: 2026-03-20T14:00:00Z
"""


def read(text: str) -> TestFile:
    return read_test_file(textwrap.dedent(text), "t.test.yaml")


def problems(text: str) -> list[str]:
    """`line:col: message (hint)` of every problem, in order."""
    with pytest.raises(Diagnostics) as caught:
        read(text)
    out = []
    for item in caught.value.items:
        where = f"{item.span.line}:{item.span.column}" if item.span else "-"
        out.append(f"{where}: {item.message}" + (f" ({item.hint})" if item.hint else ""))
    return out


# The request a test becomes ---------------------------------------------------------------


def test_friendly_keys_become_the_spec_request() -> None:
    parsed = read(
        HEAD
        + """\
customer: {id: cust_1, timezone: America/New_York, segments: [seg_a], dnc: [], consent: {sms: opted_out}}
tests:
  - name: the first email of the day is allowed
    history:
      - {at: 3 days ago, offer: off_1, channel: ch_email, creative: cr_1, category: cat_cards,
         subcategory: sub_gold, offer_category: credit cards, campaign: run_1}
      - {at: 2026-03-19T10:00Z, outcome: click, offerId: off_1}
      - {when: 1 hour ago, channel: ch_sms, times: 2}
    budgets: {off_1: {impressions: 950, spend: 120.5}}
    suppressions:
      - {id: s1, scope: offer, scope_id: off_9, expires: in 2 days}
    served_offers: [off_7]
    candidates:
      - offer: off_2
        channel: ch_email
        channel_type: email
        mandatory: true
        expect: allowed
      - off_3
"""
    )
    case = parsed.tests[0]
    assert case.request == {
        "now": "2026-03-20T14:00:00Z",
        "customer": {
            "id": "cust_1",
            "timezone": "America/New_York",
            "segments": ["seg_a"],
            "dnc": [],
            "consent": {"sms": "opted_out"},
        },
        "interactions": [
            {
                "timestamp": "2026-03-17T14:00:00Z",
                "offerId": "off_1",
                "channelId": "ch_email",
                "creativeId": "cr_1",
                "categoryId": "cat_cards",
                "subCategoryId": "sub_gold",
                "offerCategory": "credit cards",
                "campaignId": "run_1",
                "outcome": "impression",
            },
            {"timestamp": "2026-03-19T10:00:00Z", "outcome": "click", "offerId": "off_1"},
            {"timestamp": "2026-03-20T13:00:00Z", "channelId": "ch_sms", "outcome": "impression"},
            {"timestamp": "2026-03-20T13:00:00Z", "channelId": "ch_sms", "outcome": "impression"},
        ],
        "budgets": {"off_1": {"impressions": 950, "spend": 120.5}},
        "suppressions": [
            {"id": "s1", "scope": "offer", "scopeId": "off_9", "expiresAt": "2026-03-22T14:00:00Z"}
        ],
        "session": {"servedOfferIds": ["off_7"]},
        "candidates": [
            {"offerId": "off_2", "channelId": "ch_email", "channelType": "email", "isMandatory": True},
            {"offerId": "off_3"},
        ],
    }
    assert case.parsed is not None and case.parsed.customer.id == "cust_1"
    assert [c.expect is not None for c in case.candidates] == [True, False]
    assert case.candidates[0].label == "#1 off_2 on ch_email"


def test_defaults_at_the_top_apply_to_every_test_and_the_customer_merges() -> None:
    parsed = read(
        """\
        use: [fatigue/email_weekly_cap]
        now: 2026-03-20T14:00:00Z
        customer: {id: cust_1, timezone: Europe/Paris}
        history:
          - {at: 1 day ago, channel: ch_email}
        tests:
          - name: one
            candidates: [off_1]
            expect: allowed
          - name: two
            now: 2026-03-21T14:00:00Z
            customer: {segments: [vip]}
            candidates: [off_1]
            expect: allowed
          - name: three
            history: []
            candidates: [off_1]
            expect: allowed
        """
    )
    one, two, three = parsed.tests
    assert one.request["interactions"][0]["timestamp"] == "2026-03-19T14:00:00Z"
    # relative history times follow each test's own `now`
    assert two.request["interactions"][0]["timestamp"] == "2026-03-20T14:00:00Z"
    assert two.request["customer"] == {"id": "cust_1", "timezone": "Europe/Paris", "segments": ["vip"]}
    assert three.request["interactions"] == []


def test_a_customer_id_is_not_required() -> None:
    parsed = read(HEAD + "tests:\n  - {name: t, candidates: [off_1], expect: allowed}\n")
    assert parsed.tests[0].request["customer"] == {"id": "test_customer"}


def test_expectation_forms() -> None:
    parsed = read(
        HEAD
        + """\
policies: []
tests:
  - name: forms
    candidates:
      - {offer: a, expect: allowed}
      - {offer: b, expect: blocked}
      - {offer: c, expect: blocked by Email frequency cap}
      - {offer: d, expect: 'blocked by "Email frequency cap"'}
      - {offer: e, expect: {blocked_by: [X, Y], eligible_at: in 2 days}}
      - {offer: f, expect: {eligible_at: never}}
      - {offer: g, expect: {allowed: true, overridden_by: VIP}}
      - {offer: h, expect: {overridden_by: null}}
      - {offer: i, expect: {blockedBy: X, eligibleAt: null}}
"""
    )
    a, b, c, d, e, f, g, h, i = (c.expect for c in parsed.tests[0].candidates)
    assert a is not None and a.allowed is True and not a.blocked_by
    assert b is not None and b.allowed is False and not b.blocked_by
    assert c is not None and [r.name for r in c.blocked_by] == ["Email frequency cap"] and not c.all_blockers
    assert d is not None and [r.name for r in d.blocked_by] == ["Email frequency cap"]
    assert e is not None and e.all_blockers and [r.name for r in e.blocked_by] == ["X", "Y"]
    assert (
        e.check_eligible
        and e.eligible_at is not None
        and e.eligible_at.isoformat() == "2026-03-22T14:00:00+00:00"
    )
    assert f is not None and f.allowed is False and f.check_eligible and f.eligible_at is None
    assert (
        g is not None and g.allowed is True and g.overridden_by is not None and g.overridden_by.name == "VIP"
    )
    assert h is not None and h.allowed is None and h.check_override and h.overridden_by is None
    assert i is not None and i.allowed is False and i.check_eligible and i.eligible_at is None


def test_anchors_and_merge_keys_share_histories() -> None:
    parsed = read(
        HEAD
        + """\
tests:
  - name: shared
    history:
      - &email {channel: ch_email, offer: off_news, at: 3 hours ago}
      - {<<: *email, at: 2 hours ago, offer: off_promo}
    candidates: [{channel: ch_email, offer: off_x, expect: allowed}]
"""
    )
    history = parsed.tests[0].request["interactions"]
    assert [(h["offerId"], h["timestamp"]) for h in history] == [
        ("off_news", "2026-03-20T11:00:00Z"),
        ("off_promo", "2026-03-20T12:00:00Z"),
    ]


def test_unquoted_yaml_timestamps_stay_text() -> None:
    document = YamlDocument("now: 2026-03-19T10:00:00Z\nn: 3\nb: yes\nf: 1.5\nz: null\n", "x.yaml")
    assert document.root.plain() == {"now": "2026-03-19T10:00:00Z", "n": 3, "b": True, "f": 1.5, "z": None}


# Problems, located ------------------------------------------------------------------------


def test_invalid_yaml_points_at_the_problem() -> None:
    assert problems("tests:\n  - name: a\n   bad: [\n") == [
        "3:4: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block collection)",
    ]


def test_a_value_with_a_colon_gets_a_hint() -> None:
    found = problems("tests:\n  - name: a: b\n")
    assert found[0].startswith("2:12: invalid YAML: mapping values are not allowed here")
    assert "must be quoted" in found[0]


def test_an_empty_file() -> None:
    assert problems("# nothing\n") == [
        "-: the test file is empty "
        "(a test file holds `policies:` or `use:`, then `tests:`; see docs/testing.md)"
    ]


def test_a_key_written_twice() -> None:
    assert problems(HEAD + "tests: []\ntests: []\n") == [
        "4:1: `tests` is given twice in this mapping (the first one is on line 3; keep one)",
    ]


def test_unknown_keys_with_near_misses() -> None:
    found = problems(
        HEAD
        + """\
tests:
  - name: typos
    histroy: []
    candidates:
      - offer: off_1
        chanel: ch_email
        expect: {blocked_by: X, elegible_at: in 2 days}
"""
    )
    assert found == [
        "5:5: unknown key `histroy` in a test (did you mean `history`?)",
        "8:9: unknown key `chanel` in a candidate (did you mean `channel`?)",
        "9:33: unknown key `elegible_at` in `expect` (did you mean `eligible_at`?)",
    ]


def test_both_spellings_of_a_key() -> None:
    found = problems(HEAD + "tests:\n  - {name: a, candidates: [{offer: x, offerId: y, expect: allowed}]}\n")
    assert found == ["4:39: `offerId` and `offer` both set offerId (keep one of them)"]


def test_missing_parts() -> None:
    found = problems("tests:\n  - {candidates: [off_1]}\n")
    assert found == [
        "1:1: the test file names no policies (add `policies: [my_policies.cpol]` (relative to this file) "
        "or `use: [module]`)",
        "2:5: this test has no `name` (add `name:` saying what it checks, in a sentence)",
        "2:5: this test has no `now` (give the instant of the decision in the test, or for every test at "
        "the top of the file: `now: 2026-03-20T14:00Z`)",
        "2:18: this test checks nothing: no candidate has an `expect` (add `expect: allowed`, "
        "`expect: blocked by <policy name>` or a mapping)",
    ]


def test_no_tests() -> None:
    assert problems(HEAD) == ["1:1: the test file has no `tests:` (add `tests:` with a list of tests)"]
    assert problems(HEAD + "tests: []\n") == ["3:8: `tests` must be a non-empty list of tests"]


def test_time_problems() -> None:
    found = problems(
        """\
use: [fatigue/email_weekly_cap]
now: 3 days ago
tests:
  - name: a
    now: 2026-03-20T14:00Z
    history:
      - {at: 3 months ago}
      - {at: 17}
      - {offer: off_1}
    candidates: [{offer: off_1, expect: {eligible_at: tomorrow}}]
"""
    )
    assert found == [
        "2:6: `now`: `3 days ago` is relative to `now`, and `now` itself must be an absolute time "
        "(write `now` as an ISO 8601 instant, e.g. now: 2026-03-20T14:00Z)",
        "7:14: `at`: `months` is not a fixed length of time (write days or weeks instead: a month in a "
        "policy window is 30 days, e.g. `30 days ago`)",
        "8:14: `at` must be a time, not a number (e.g. `3 days ago` or `2026-03-19T10:00Z`)",
        "9:9: this interaction has no time (add `at:`, e.g. at: 3 days ago)",
        "10:55: `eligible_at`: `tomorrow` is not a time cpol can read (e.g. `3 days ago`, `in 2 hours`, "
        "`now`, `2026-03-19T10:00Z` or `2026-03-19T12:00+02:00`)",
    ]


def test_expectation_problems() -> None:
    found = problems(
        HEAD
        + """\
tests:
  - name: a
    candidates:
      - {offer: a, expect: fine}
      - {offer: b, expect: true}
      - {offer: c, expect: {allowed: true, blocked_by: X}}
      - {offer: d, expect: {}}
      - {offer: e, expect: {blocked_by: []}}
      - {offer: f, expect: {allowed: maybe}}
"""
    )
    assert [line.split(" (")[0] for line in found] == [
        "6:28: `expect: fine` is not an expectation",
        "7:28: `expect` must say `allowed`, `blocked` or `blocked by <policy name>`",
        "8:28: `allowed: true` contradicts `blocked_by`",
        "9:28: this `expect` checks nothing",
        "10:41: `blocked_by` lists no policy",
        "11:38: `allowed` must be true or false, not text",
    ]


def test_request_problems_point_at_the_value_that_wrote_them() -> None:
    found = problems(
        HEAD
        + """\
tests:
  - name: a
    customer: {timezone: America/NewYork, segments: [ok, [nested]], consent: {sms: 3}}
    budgets: {off_1: {impressions: lots}}
    suppressions: [{scope: offer, scope_id: off_1, active: perhaps}]
    candidates: [{offer: off_1, mandatory: sometimes, expect: allowed}]
"""
    )
    assert [line.split(" (")[0] for line in found] == [
        "5:26: unknown time zone `America/NewYork`",
        "5:58: each of `customer.segments` must be text, not a list",
        "8:44: `mandatory` must be true or false, not text",
    ]
    found = problems(
        HEAD
        + """\
tests:
  - name: a
    customer: {consent: {sms: 3}}
    budgets: {off_1: {impressions: lots}}
    suppressions: [{scope: offer, scope_id: off_1, active: perhaps}]
    candidates: [{offer: off_1, expect: allowed}]
"""
    )
    assert found == [
        "5:31: `customer.consent.sms` must be a string",
        "6:36: `budgets.off_1.impressions` must be a number",
        "7:60: `suppressions[0].isActive` must be true or false",
    ]


def test_two_tests_with_one_name() -> None:
    found = problems(
        HEAD + "tests:\n  - {name: a, candidates: [x], expect: allowed}\n"
        "  - {name: a, candidates: [x], expect: allowed}\n"
    )
    assert found == ["5:5: two tests are named `a` (the first is on line 4)"]


def test_use_entries() -> None:
    parsed = read(
        """\
use:
  - compliance/global_do_not_contact
  - module: fatigue/email_weekly_cap
    with: {maxPerDay: null, maxPerWeek: 2, scopeId: email}
now: 2026-03-20T14:00Z
tests: [{name: a, candidates: [x], expect: allowed}]
"""
    )
    assert [u.module for u in parsed.uses] == ["compliance/global_do_not_contact", "fatigue/email_weekly_cap"]
    assert [key for key, _, _ in parsed.uses[1].params] == ["maxPerDay", "maxPerWeek", "scopeId"]
    found = problems(
        """\
use:
  - with: {a: 1}
  - module: x
    with: {scopes: [{scope: channel}], bad key: 1}
now: 2026-03-20T14:00Z
tests: [{name: a, candidates: [x], expect: allowed}]
"""
    )
    assert [line.split(" (")[0] for line in found] == [
        "2:5: a `use` entry needs a `module`",
        "4:20: the value of `scopes` cannot be given in a `use`",
        "4:40: `bad key` is not a parameter name",
    ]


def test_a_test_session_replaces_the_files_served_offers() -> None:
    parsed = read(
        HEAD
        + """\
served_offers: [off_1]
tests:
  - {name: a, candidates: [x], expect: allowed}
  - {name: b, session: {servedOfferIds: [off_2]}, candidates: [x], expect: allowed}
"""
    )
    assert [t.request["session"] for t in parsed.tests] == [
        {"servedOfferIds": ["off_1"]},
        {"servedOfferIds": ["off_2"]},
    ]

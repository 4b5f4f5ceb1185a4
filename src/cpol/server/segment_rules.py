"""The rule language of dynamic segments (SPEC §7): validation into a typed tree, and two
evaluators of that tree which must agree: `matches` in Python (one contact, at decide
time) and `where` in SQL (every contact at once, for `/segments/{id}/members`).

`rules` is `{"all": [...]}` or `{"any": [...]}` of conditions `{field, op, value}` and
nested groups. The semantics (docs/customers.md) are chosen so that SQLite and PostgreSQL
can compute them exactly as Python does: values are typed as JSON types and a condition
compares only values of one type; numbers compare as IEEE doubles; strings compare by code
point (case-sensitive; PostgreSQL with the "C" collation); a missing value fails every
condition but `neq` and `exists: false`.
"""

from __future__ import annotations

import math
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from cpol.diagnostics import did_you_mean
from cpol.server.errors import ApiError, ErrorDetail
from cpol.server.models import DOCUMENT_JSONB, Contact
from cpol.server.schemas import CHANNEL_TYPES

Scalar: TypeAlias = str | int | float | bool
Kind = Literal["text", "tags", "custom"]
#: Bounds on one segment's rules: nesting of groups, conditions in all, values of an `in`.
MAX_DEPTH = 5
MAX_CONDITIONS = 100
MAX_VALUES = 100
MAX_TEXT = 1000
#: The contact's own text fields, and the column that mirrors each (None: read the JSON).
TEXT_FIELDS: dict[str, ColumnElement[Any] | None] = {
    "id": Contact.id.expression,
    "phone": Contact.phone.expression,
    "email": Contact.email.expression,
    "firstName": None,
    "lastName": None,
    "country": Contact.country.expression,
    "lifecycleStage": Contact.lifecycle_stage.expression,
    "timezone": Contact.timezone.expression,
    "createdAt": Contact.created_at.expression,
    "updatedAt": Contact.updated_at.expression,
}
CUSTOM = "customFields."
PREFERENCE = "preferences."
FIELD_NAMES = (*TEXT_FIELDS, "tags", f"{CUSTOM}NAME", f"{PREFERENCE}CHANNEL")
OPS = ("eq", "neq", "in", "contains", "exists", "gt", "gte", "lt", "lte", "startsWith")
#: The ordering ops, for Python values and SQL expressions alike.
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
OPS_OF: dict[Kind, tuple[str, ...]] = {
    "text": OPS,
    "tags": ("eq", "neq", "in", "contains", "exists"),
    "custom": OPS,
}
#: A custom field's name in a rule: any text but `"`, `\` and control characters (SQLite
#: reads it inside a quoted JSON path label, which has no escapes).
CUSTOM_NAME = re.compile(r'[^"\\\x00-\x1f]{1,255}\Z')


@dataclass(frozen=True)
class Field:
    """Where a condition looks: `path` in the contact's JSON document (some text fields
    also have a column of the contacts table: `TEXT_FIELDS`)."""

    name: str
    kind: Kind
    path: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    any: bool
    items: tuple[Node, ...]


Node: TypeAlias = Condition | Group


# --- validation ------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | bool) or _is_number(value)


def _short_text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT and "\x00" not in value


STRING = "must be a string (at most 1000 characters, no NUL)"
SCALAR = "must be a string, a finite number or a boolean"
#: Per kind of field and op: what the value must be, and the message when it is not.
VALUE_RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    "string": (_short_text, STRING),
    "scalar": (lambda v: _short_text(v) or (_is_scalar(v) and not isinstance(v, str)), SCALAR),
    "ordered": (lambda v: _short_text(v) or _is_number(v), "must be a string or a finite number"),
    "boolean": (lambda v: isinstance(v, bool), "must be true or false"),
}


def _value_rule(kind: Kind, op: str) -> str:
    if op == "exists":
        return "boolean"
    if kind == "custom" and op in COMPARE:
        return "ordered"
    if kind == "custom" and op != "startsWith":
        return "scalar"
    return "string"


@dataclass
class _Reader:
    """Reads a rules object into a tree, collecting every problem at its JSON path."""

    problems: list[ErrorDetail] = field(default_factory=list)
    conditions: int = 0

    def problem(self, path: str, message: str) -> None:
        self.problems.append(ErrorDetail(path=path, message=message))

    def group(self, raw: object, path: str, depth: int) -> Group | None:
        if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("all", "any"):
            self.problem(path, 'must be a group: {"all": [...]} or {"any": [...]}')
            return None
        if depth > MAX_DEPTH:
            self.problem(path, f"groups nest at most {MAX_DEPTH} deep")
            return None
        kind, items = next(iter(raw.items()))
        here = f"{path}.{kind}"
        if not isinstance(items, list) or not items:
            self.problem(here, "must be a non-empty list of conditions and groups")
            return None
        read = [self.item(item, f"{here}[{i}]", depth) for i, item in enumerate(items)]
        nodes = tuple(node for node in read if node is not None)
        return Group(kind == "any", nodes) if len(nodes) == len(read) else None

    def item(self, raw: object, path: str, depth: int) -> Node | None:
        if isinstance(raw, dict) and ("all" in raw or "any" in raw):
            return self.group(raw, path, depth + 1)
        return self.condition(raw, path)

    def condition(self, raw: object, path: str) -> Condition | None:
        if not isinstance(raw, dict):
            self.problem(path, 'must be a condition {"field", "op", "value"} or a group {"all"|"any": [...]}')
            return None
        self.conditions += 1
        if self.conditions == MAX_CONDITIONS + 1:
            self.problem(path, f"a segment has at most {MAX_CONDITIONS} conditions")
        for key in sorted(set(raw) - {"field", "op", "value"}):
            self.problem(f"{path}.{key}", "unknown key (a condition has field, op and value)")
        for key in ("field", "op", "value"):
            if key not in raw:
                self.problem(f"{path}.{key}", "required")
        found = self.field(raw.get("field"), f"{path}.field") if "field" in raw else None
        op = self.op(raw.get("op"), found, f"{path}.op") if "op" in raw else None
        if found is None or op is None or "value" not in raw:
            return None
        return self.value(Condition(found, op, raw["value"]), f"{path}.value")

    def field(self, raw: object, path: str) -> Field | None:
        if not isinstance(raw, str):
            self.problem(path, "must be a string")
            return None
        found = field_named(raw)
        if found is None:
            hint = did_you_mean(raw, FIELD_NAMES, quote="")
            self.problem(
                path,
                f"unknown field {raw!r}" + (f"; {hint}" if hint else "")
                + f" (the fields are {', '.join(FIELD_NAMES)}; a custom field's NAME has no \" or \\)",
            )  # fmt: skip
        return found

    def op(self, raw: object, found: Field | None, path: str) -> str | None:
        allowed = OPS_OF[found.kind] if found else OPS
        if isinstance(raw, str) and raw in allowed:
            return raw
        what = f"the ops of {found.name}" if found else "the ops"
        hint = did_you_mean(raw, allowed, quote="") if isinstance(raw, str) else None
        shown = repr(raw) if isinstance(raw, str) else "a non-string"
        self.problem(
            path,
            f"unknown op {shown}" + (f"; {hint}" if hint else "") + f" ({what} are {', '.join(allowed)})",
        )
        return None

    def value(self, condition: Condition, path: str) -> Condition | None:
        valid, message = VALUE_RULES[_value_rule(condition.field.kind, condition.op)]
        value = condition.value
        if condition.op != "in":
            if valid(value):
                return condition
            self.problem(path, message)
            return None
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_VALUES:
            self.problem(path, f"must be a list of 1 to {MAX_VALUES} values")
            return None
        bad = [i for i, item in enumerate(value) if not valid(item)]
        for i in bad:
            self.problem(f"{path}[{i}]", message)
        return None if bad else condition


def field_named(name: str) -> Field | None:
    """The field a rule names, or None."""
    if name in TEXT_FIELDS:
        return Field(name, "text", (name,))
    if name == "tags":
        return Field(name, "tags", ("tags",))
    if name.startswith(CUSTOM) and CUSTOM_NAME.match(name.removeprefix(CUSTOM)):
        return Field(name, "custom", ("customFields", name.removeprefix(CUSTOM)))
    if name.startswith(PREFERENCE) and name.removeprefix(PREFERENCE) in CHANNEL_TYPES:
        return Field(name, "text", ("preferences", name.removeprefix(PREFERENCE)))
    return None


def problems(rules: object, path: str = "rules") -> tuple[Group | None, list[ErrorDetail]]:
    """The tree of `rules`, or None and every problem found at its JSON path."""
    reader = _Reader()
    tree = reader.group(rules, path, 1)
    return (tree if not reader.problems else None), reader.problems


def parse(rules: object) -> Group:
    """The tree of `rules` (a 400 listing every problem otherwise)."""
    tree, found = problems(rules)
    if tree is None:
        raise ApiError(400, "the segment's rules are invalid", found)
    return tree


# --- Python ----------------------------------------------------------------------------

_MISSING = object()


def _at(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
    return value


def _double(value: int | float) -> float:
    """A JSON number as the IEEE double both databases compare."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _same(value: Any, wanted: Scalar) -> bool:
    """Equal as typed JSON values: a string only to a string, a number (as a double) only
    to a number, a boolean only to a boolean."""
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if isinstance(wanted, str) or isinstance(value, str):
        return isinstance(value, str) and isinstance(wanted, str) and value == wanted
    return _is_number(value) and _double(value) == _double(wanted)


def _member(value: Any, wanted: Scalar) -> bool:
    return isinstance(value, list) and any(_same(item, wanted) for item in value)


def _ordered(value: Any, op: str, wanted: str | float) -> bool:
    if isinstance(wanted, str):
        return isinstance(value, str) and bool(COMPARE[op](value, wanted))
    return _is_number(value) and bool(COMPARE[op](_double(value), _double(wanted)))


def _holds(condition: Condition, value: Any) -> bool:
    op, wanted = condition.op, condition.value
    tags = condition.field.kind == "tags"
    if op == "exists":
        return (value not in (_MISSING, None, [])) is wanted
    if op in ("eq", "neq"):
        found = _member(value, wanted) if tags else _same(value, wanted)
        return found is (op == "eq")
    if op == "in":
        return any(_member(value, w) if tags else _same(value, w) for w in wanted)
    if op == "contains":
        substring = isinstance(value, str) and isinstance(wanted, str) and wanted in value
        return substring or _member(value, wanted)
    if op == "startsWith":
        return isinstance(value, str) and value.startswith(wanted)
    return _ordered(value, op, wanted)


def matches(tree: Node, document: dict[str, Any]) -> bool:
    """Whether the contact (its stored JSON document) is in the segment."""
    if isinstance(tree, Condition):
        return _holds(tree, _at(document, tree.field.path))
    results = (matches(item, document) for item in tree.items)
    return any(results) if tree.any else all(results)


# --- SQL -------------------------------------------------------------------------------

Sql: TypeAlias = ColumnElement[Any]
Test: TypeAlias = ColumnElement[bool]


class _Value(ABC):
    """A JSON value in SQL: accessors that are SQL NULL unless the value has the type asked
    for, so comparisons with them are NULL (made false by `_known`) for other types."""

    dialect: str

    @abstractmethod
    def type_is(self, kind: str) -> Test: ...

    @abstractmethod
    def text(self) -> Sql: ...

    @abstractmethod
    def number(self) -> Sql: ...

    @abstractmethod
    def elements(self, test: Callable[[_Value], Test]) -> Test:
        """Whether some element of an array value passes `test` (false for a non-array)."""

    @abstractmethod
    def absent(self) -> Test:
        """Missing, null or an empty array."""

    def boolean(self, wanted: bool) -> Test:
        return self.type_is("true" if wanted else "false")

    def ordered_text(self) -> Sql:
        """The text, compared by code point (UTF-8 bytes) as Python compares strings."""
        text = self.text()
        return text.collate("C") if self.dialect == "postgresql" else text

    def find(self, wanted: str) -> Sql:
        """Where `wanted` first occurs in the text, from 1; 0 when it does not."""
        position = func.strpos if self.dialect == "postgresql" else func.instr
        found: Sql = position(self.text(), literal(wanted, String))
        return found


def _known(test: Test) -> Test:
    """A test as true or false, never NULL (so NOT of it is its complement)."""
    return func.coalesce(test, false())


class _ColumnValue(_Value):
    """A text field the contacts table holds in a column (the document's value: NULL or text)."""

    def __init__(self, column: Sql, dialect: str) -> None:
        self.column, self.dialect = column, dialect

    def type_is(self, kind: str) -> Test:
        return self.column.is_not(None) if kind == "string" else false()

    def text(self) -> Sql:
        return self.column

    def number(self) -> Sql:
        return literal(None, Float)

    def elements(self, test: Callable[[_Value], Test]) -> Test:
        return false()

    def absent(self) -> Test:
        return self.column.is_(None)


SQLITE_TYPES = {"string": ("text",), "number": ("integer", "real"), "true": ("true",), "false": ("false",)}


class _SqliteValue(_Value):
    """A value of a JSON document in SQLite: `json_type` / `json_extract` at a path, or the
    `type` and `value` columns of a `json_each` row."""

    dialect = "sqlite"

    def __init__(self, kind: Sql, value: Sql, document: Sql | None = None, path: str = "") -> None:
        self.kind, self.value, self.document, self.path = kind, value, document, path

    @classmethod
    def at(cls, document: Sql, keys: Sequence[str]) -> _SqliteValue:
        path = "$" + "".join(f'."{key}"' for key in keys)
        return cls(func.json_type(document, path), func.json_extract(document, path), document, path)

    def type_is(self, kind: str) -> Test:
        return self.kind.in_(SQLITE_TYPES.get(kind, (kind,)))

    def text(self) -> Sql:
        return case((self.type_is("string"), self.value))

    def number(self) -> Sql:
        return case((self.type_is("number"), cast(self.value, Float)))

    def elements(self, test: Callable[[_Value], Test]) -> Test:
        assert self.document is not None  # elements of elements are never asked for
        each = func.json_each(self.document, self.path).table_valued("type", "value")
        element = _SqliteValue(each.c.type, each.c.value)
        return and_(self.type_is("array"), exists(select(1).select_from(each).where(test(element))))

    def absent(self) -> Test:
        empty = and_(self.type_is("array"), func.json_array_length(self.document, self.path) == 0)
        return or_(self.kind.is_(None), self.kind == "null", empty)


POSTGRESQL_TYPES = {"true": "boolean", "false": "boolean"}


class _PostgresqlValue(_Value):
    """A `jsonb` value in PostgreSQL (the document's stored `jsonb` copy, then `->` keys)."""

    dialect = "postgresql"

    def __init__(self, value: Sql) -> None:
        self.value = value

    def type_is(self, kind: str) -> Test:
        test = func.jsonb_typeof(self.value) == POSTGRESQL_TYPES.get(kind, kind)
        if kind in ("true", "false"):
            return and_(test, self.value == cast(literal(kind), JSONB))
        return test

    def _scalar_text(self) -> Sql:
        return self.value.op("#>>", return_type=String)(literal_column("'{}'"))

    def text(self) -> Sql:
        return case((self.type_is("string"), self._scalar_text()))

    def number(self) -> Sql:
        return case((self.type_is("number"), cast(self._scalar_text(), Float(53))))

    def elements(self, test: Callable[[_Value], Test]) -> Test:
        array = case((self.type_is("array"), self.value), else_=cast(literal("[]"), JSONB))
        each = func.jsonb_array_elements(array).table_valued("value")
        return exists(select(1).select_from(each).where(test(_PostgresqlValue(each.c.value))))

    def absent(self) -> Test:
        return or_(self.value.is_(None), self.type_is("null"), self.value == cast(literal("[]"), JSONB))


def _value(found: Field, dialect: str) -> _Value:
    column = TEXT_FIELDS.get(found.name)
    if column is not None:
        return _ColumnValue(column, dialect)
    if dialect == "postgresql":
        value: Sql = _JSONB_DOCUMENT
        for key in found.path:
            value = value.op("->")(literal(key, String))
        return _PostgresqlValue(value)
    return _SqliteValue.at(Contact.document.expression, found.path)


def _same_sql(value: _Value, wanted: Scalar) -> Test:
    if isinstance(wanted, bool):
        return value.boolean(wanted)
    if isinstance(wanted, str):
        return value.text() == literal(wanted, String)
    return value.number() == literal(_double(wanted), Float(53))


def _test(condition: Condition, value: _Value) -> Test:
    """The condition as SQL (may be NULL where `matches` says false; `_known` fixes that)."""
    op, wanted = condition.op, condition.value
    tags = condition.field.kind == "tags"

    def same(w: Scalar) -> Test:
        return value.elements(lambda e: _same_sql(e, w)) if tags else _same_sql(value, w)

    if op == "exists":
        return not_(value.absent()) if wanted else value.absent()
    if op == "eq":
        return same(wanted)
    if op == "neq":
        return not_(_known(same(wanted)))
    if op == "in":
        return or_(*(_known(same(w)) for w in wanted))
    if op == "contains":
        member = value.elements(lambda e: _same_sql(e, wanted))
        return or_(_known(value.find(wanted) > 0), _known(member)) if isinstance(wanted, str) else member
    if op == "startsWith":
        return value.find(wanted) == 1
    if isinstance(wanted, str):
        left, right = value.ordered_text(), literal(wanted, String)
    else:
        left, right = value.number(), literal(_double(wanted), Float(53))
    test: Test = COMPARE[op](left, right)
    return test


def _cost(node: Node) -> int:
    """How dear a test is to the database per row: a column, a value read from the JSON
    document, a search through an array's elements."""
    if isinstance(node, Group):
        return max(_cost(item) for item in node.items)
    if node.field.name in TEXT_FIELDS and TEXT_FIELDS[node.field.name] is not None:
        return 0
    return 2 if node.field.kind == "tags" or node.op == "contains" else 1


#: PostgreSQL: the row's document as `jsonb`, a generated column of `contacts` (migration
#: 0006) which the models leave out, as SQLite has none: named in the SQL's text, it reads
#: the `contacts` row of the query around it (segment members query `contacts` unaliased).
_JSONB_DOCUMENT = literal_column(f"{Contact.__tablename__}.{DOCUMENT_JSONB}", JSONB)


def where(tree: Node, dialect: str) -> Test:
    """The tree as a condition on `contacts` rows, for `dialect` ("sqlite", "postgresql").
    A group's cheap tests come first: the databases stop at the first that decides it."""
    if isinstance(tree, Condition):
        return _known(_test(tree, _value(tree.field, dialect)))
    tests = [where(item, dialect) for item in sorted(tree.items, key=_cost)]
    return or_(*tests) if tree.any else and_(*tests)

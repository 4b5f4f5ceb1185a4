"""Keyset pagination, shared by every list endpoint (SPEC §5.3's shape).

A list is ordered by a few columns (each ascending or descending) whose values, taken
together, are unique; a page's cursor is those values of its last row, base64url-encoded
JSON: opaque to clients, stable under inserts and deletes between pages, no server state.
A cursor is checked whole before it reaches the database (a forged one must be a 400,
never an overflow or a NUL that PostgreSQL refuses).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import KeyedColumnElement

from cpol.server.errors import ApiError, ErrorDetail

Document = dict[str, Any]
Row = TypeVar("Row")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z", re.ASCII)


def is_timestamp(value: object) -> bool:
    """Whether `value` is an instant as the server writes them (`clock.now`)."""
    return isinstance(value, str) and TIMESTAMP.match(value) is not None


def matches(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    """A check that a cursor's value is a string matching `pattern` (an id's shape)."""
    return lambda value: isinstance(value, str) and pattern.match(value) is not None


@dataclass(frozen=True)
class Key:
    """One column of a list's order, and what a cursor's value for it must be."""

    column: InstrumentedAttribute[Any] | KeyedColumnElement[Any]
    descending: bool
    valid: Callable[[object], bool]


@dataclass(frozen=True)
class Page:
    data: list[Document]
    total: int
    limit: int
    has_more: bool
    cursor: str | None

    def answer(self) -> Document:
        """`{"data", "pagination": {"total", "limit", "hasMore", "cursor"}}`."""
        pagination = {
            "total": self.total,
            "limit": self.limit,
            "hasMore": self.has_more,
            "cursor": self.cursor,
        }
        return {"data": self.data, "pagination": pagination}


@dataclass(frozen=True)
class Keyset:
    """A list's order as keys; it orders queries, writes cursors and reads them back."""

    keys: tuple[Key, ...]

    def order(self) -> list[ColumnElement[Any]]:
        return [k.column.desc() if k.descending else k.column.asc() for k in self.keys]

    def cursor(self, row: object) -> str:
        values = [getattr(row, k.column.key) for k in self.keys]
        return (
            base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")
        )

    def _values(self, cursor: str) -> list[Any]:
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError
            if not all(k.valid(v) for k, v in zip(self.keys, values, strict=True)):
                raise ValueError
        except (ValueError, TypeError, RecursionError):  # binascii.Error is a ValueError
            detail = ErrorDetail(path="cursor", message="not a cursor this API gave")
            raise ApiError(400, "the request is invalid", [detail]) from None
        return values

    def after(self, cursor: str | None) -> ColumnElement[bool]:
        """Rows after the cursor's in this order (every row without one): the first key
        beyond the cursor's value, or equal to it and the rest after theirs."""
        if not cursor:
            return true()
        values = self._values(cursor)
        clauses = []
        for i, key in enumerate(self.keys):
            equal = [k.column == v for k, v in zip(self.keys[:i], values[:i], strict=True)]
            beyond = key.column < values[i] if key.descending else key.column > values[i]
            clauses.append(and_(*equal, beyond))
        return or_(*clauses)

    def page(
        self,
        session: Session,
        table: type[Row],
        where: ColumnElement[bool],
        limit: int,
        cursor: str | None,
        document: Callable[[Row], Document],
    ) -> Page:
        """One page of `table`'s rows matching `where`; `total` counts every match."""
        total = session.scalar(select(func.count()).select_from(table).where(where)) or 0
        query = select(table).where(where, self.after(cursor)).order_by(*self.order()).limit(limit + 1)
        return self._page(list(session.scalars(query)), total, limit, document)

    def rows_page(
        self,
        session: Session,
        rows: Subquery,
        limit: int,
        cursor: str | None,
        document: Callable[[Any], Document],
    ) -> Page:
        """One page of a query's rows (a union, say: no table to map them to)."""
        total = session.scalar(select(func.count()).select_from(rows)) or 0
        query = select(rows).where(self.after(cursor)).order_by(*self.order()).limit(limit + 1)
        return self._page(list(session.execute(query)), total, limit, document)

    def _page(self, rows: list[Any], total: int, limit: int, document: Callable[[Any], Document]) -> Page:
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([document(r) for r in rows], total, limit, more, self.cursor(rows[-1]) if more else None)

"""The evaluation request of SPEC §2: a customer, their history and the candidates.

Two readers accept exactly the same requests (tests/runtime/test_request_parity.py):
msgspec builds these types from a valid request at C speed; when it refuses one, the
pydantic models of `request_check` read it again to say what is wrong, every problem at
its JSON path (`interactions[3].timestamp: must be an ISO 8601 timestamp`), never as a
traceback. Unknown fields are ignored (requests come from many systems); an optional
field sent as null reads as omitted.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, cast

import msgspec
from msgspec.structs import force_setattr

from cpol.runtime import request_check
from cpol.runtime.clock import parse_instant

_T = TypeVar("_T")
if TYPE_CHECKING:
    #: An optional field whose default is not None: null reads as that default.
    OrNull = Annotated[_T, "null reads as the default"]
    #: An ISO 8601 timestamp on the wire, an aware UTC datetime once read.
    Stamp = datetime
else:
    OrNull = Optional
    Stamp = str


class _Record(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Read-only once read; a null in a field with a default other than None reads as it."""

    def __post_init__(self) -> None:
        for name, default in _NULL_DEFAULTS[type(self)]:
            if getattr(self, name) is None:
                force_setattr(self, name, default())


class Customer(_Record, frozen=True, kw_only=True):
    id: str
    timezone: str | None = None
    segments: OrNull[list[str]] = []
    metrics: OrNull[dict[str, Any]] = {}
    dnc: OrNull[list[str]] = []
    consent: OrNull[dict[str, str | None]] = {}


class Interaction(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One past contact or outcome (no null defaults to reset: a plain Struct, the cheapest;
    only strings inside, so the garbage collector need not track the hundreds of a request)."""

    id: str | None = None
    timestamp: Stamp
    outcome: str
    offerId: str | None = None
    channelId: str | None = None
    creativeId: str | None = None
    categoryId: str | None = None
    subCategoryId: str | None = None
    offerCategory: str | None = None
    campaignId: str | None = None


class Candidate(_Record, frozen=True, kw_only=True, gc=False):
    offerId: str
    channelId: str | None = None
    channelType: str | None = None
    creativeId: str | None = None
    categoryId: str | None = None
    subCategoryId: str | None = None
    offerCategory: str | None = None
    isMandatory: OrNull[bool] = False


class Suppression(_Record, frozen=True, kw_only=True, gc=False):
    id: str | None = None
    scope: OrNull[str] = "global"
    scopeId: str | None = None
    offerName: str | None = None
    policyType: str | None = None
    reason: str | None = None
    expiresAt: Stamp | None = None
    isActive: bool | None = None


class Session(_Record, frozen=True, kw_only=True):
    servedOfferIds: OrNull[list[str]] = []


class _Wire(_Record, frozen=True, kw_only=True):
    """The request as sent; `Request` adds what is computed once from it."""

    now: Stamp
    customer: Customer
    interactions: OrNull[list[Interaction]] = []
    budgets: OrNull[dict[str, dict[str, int | float | None]]] = {}
    suppressions: OrNull[list[Suppression]] = []
    session: OrNull[Session] = msgspec.field(default_factory=Session)
    candidates: list[Candidate]


def _null_defaults(kind: type[msgspec.Struct]) -> tuple[tuple[str, Callable[[], object]], ...]:
    """(field, a maker of its default) for the fields whose default is not None."""
    found: list[tuple[str, Callable[[], object]]] = []
    for info in msgspec.structs.fields(kind):
        if info.default_factory is not msgspec.NODEFAULT:
            found.append((info.name, info.default_factory))
        elif info.default is not None and info.default is not msgspec.NODEFAULT:
            found.append((info.name, functools.partial(_same, info.default)))
    return tuple(found)


def _same(value: object) -> object:
    return value


_NULL_DEFAULTS: dict[type[msgspec.Struct], tuple[tuple[str, Callable[[], object]], ...]] = {
    kind: _null_defaults(kind) for kind in (Customer, Candidate, Suppression, Session, _Wire)
}


@dataclass(frozen=True, slots=True)
class Request:
    """A request read and checked; `instants` are `interactions[i].timestamp` in epoch seconds."""

    now: datetime
    customer: Customer
    interactions: list[Interaction]
    budgets: dict[str, dict[str, int | float | None]]
    suppressions: list[Suppression]
    session: Session
    candidates: list[Candidate]
    instants: list[float]


class _Refused(Exception):
    """The fast reader cannot vouch for the request: the checking reader decides."""


def parse_request(source: str | bytes | object, file: str = "<request>") -> tuple[Request, Any]:
    """The request and the decoded JSON (candidates are echoed back as given): JSON text or
    an already decoded value. Raises Diagnostics naming every problem of a bad request."""
    try:
        return _fast(source)
    except (_Refused, msgspec.MsgspecError, ValueError, TypeError, OverflowError, RecursionError):
        pass
    data = request_check.read_json(source, file) if isinstance(source, str | bytes) else source
    return _from_checked(request_check.checked(data, file)), data


def _fast(source: str | bytes | object) -> tuple[Request, Any]:
    """msgspec's reading. Whatever it cannot vouch for raises, for the checking reader."""
    if isinstance(source, str | bytes):
        data = msgspec.json.decode(source)  # refuses lone surrogates, NaN, 1e400
        _refuse_repeated_keys(source, msgspec.json.encode(data))
    else:
        data = source
        msgspec.json.encode(data)  # UnicodeEncodeError on a lone surrogate anywhere
    wire = msgspec.convert(data, _Wire)
    interactions = wire.interactions
    instants = _stamped(interactions)
    for record in wire.suppressions:
        if record.expiresAt is not None:
            force_setattr(record, "expiresAt", parse_instant(cast(str, record.expiresAt)))
    request = Request(
        now=parse_instant(cast(str, wire.now)),
        customer=wire.customer,
        interactions=interactions,
        budgets=wire.budgets,
        suppressions=wire.suppressions,
        session=wire.session,
        candidates=wire.candidates,
        instants=instants,
    )
    return request, data


def _stamped(interactions: list[Interaction]) -> list[float]:
    """Until read, a Stamp is the text sent (see `Stamp`): read each, put the instant in
    its place, and return them in epoch seconds."""
    stamps = _utc_all(list(map(_TIMESTAMP, interactions)))
    list(map(force_setattr, interactions, itertools.repeat("timestamp"), stamps))
    return list(map(datetime.timestamp, stamps))


_HISTORY = msgspec.json.Decoder(list[Interaction])


def with_history(request: Request, documents: list[str]) -> Request:
    """The request with stored interactions before its own, each document one interaction
    as a store recorded it: checked when it was recorded, so read straight into its type
    (the repeated-key check a request's text needs would cost more than the reading).
    Raises `msgspec.MsgspecError` or `ValueError` for a document that is no interaction."""
    if not documents:
        return request
    history = _HISTORY.decode("[" + ",".join(documents) + "]")
    instants = _stamped(history)
    return dataclasses.replace(
        request, interactions=history + request.interactions, instants=instants + request.instants
    )


_TZINFO = operator.attrgetter("tzinfo")
_FINER_THAN_MICROSECONDS = re.compile(r"\.\d{7}")
_TIMESTAMP = operator.attrgetter("timestamp")


def _utc_all(stamps: list[str]) -> list[datetime]:
    """`parse_instant` of each, in one C-speed pass when every stamp names UTC with at most
    microseconds (`2026-03-20T14:00:00Z`, `…00.000Z` as the service stores them, the common
    cases): then the two read alike (only finer fractions are rounded by `parse_instant`)."""
    try:
        parsed = list(map(datetime.fromisoformat, stamps))
    except ValueError:
        return list(map(parse_instant, stamps))
    if _FINER_THAN_MICROSECONDS.search("".join(stamps)) or not set(map(_TZINFO, parsed)) <= {UTC}:
        return list(map(parse_instant, stamps))
    return parsed


def _refuse_repeated_keys(text: str | bytes, encoded: bytes) -> None:
    """A repeated key is silently dropped by the decoder: then the value encodes to fewer
    `:` than the text held (each member has one; strings keep theirs). An escaped colon
    (`\\u003a`) breaks the count, so such text goes to the checking reader."""
    colon, escape = (":", "\\u003") if isinstance(text, str) else (b":", b"\\u003")
    if text.count(colon) != encoded.count(b":") or escape in text:  # type: ignore[operator,arg-type]
        raise _Refused


def _from_checked(model: request_check.Request) -> Request:
    """The checking reader's models as this module's types (same field names)."""
    return Request(
        now=model.now,
        customer=_record(Customer, model.customer),
        interactions=[_record(Interaction, i) for i in model.interactions],
        budgets=model.budgets,
        suppressions=[_record(Suppression, s) for s in model.suppressions],
        session=_record(Session, model.session),
        candidates=[_record(Candidate, c) for c in model.candidates],
        instants=[i.timestamp.timestamp() for i in model.interactions],
    )


_S = TypeVar("_S", bound=msgspec.Struct)


def _record(kind: type[_S], model: Any) -> _S:
    return kind(**{name: getattr(model, name) for name in kind.__struct_fields__})

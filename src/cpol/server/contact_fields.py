"""A contact's fields as written (SPEC §7), each checked by the library that knows it:
phone numbers by `phonenumbers` (stored in E.164), email syntax by `email-validator` (no
DNS lookup: the address is data, not a delivery), countries by `pycountry` (ISO 3166-1
alpha-2) and zones by the IANA database `zoneinfo` reads. A value is normalised as it is
checked, so equal numbers and addresses are equal text (and the unique keys see them)."""

from __future__ import annotations

import re
import sys
from functools import cache
from importlib.resources import files
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError

from cpol.diagnostics import json_path
from cpol.plan.jsontext import walk
from cpol.server.schemas import Name, Pagination, Written

CONTACT_ID = re.compile(r"con_[0-9a-f]{16}\Z", re.ASCII)
Preference = Literal["opted_in", "opted_out"]


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("contact_field", message)


_PARSE_PROBLEMS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "must start with + and a country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short",
    phonenumbers.NumberParseException.TOO_LONG: "is too long",
}


def e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        why = _PARSE_PROBLEMS.get(error.error_type, "is not a phone number")
        raise _problem(f"{why} (E.164, e.g. +14155552671)") from None
    if not phonenumbers.is_valid_number(number):
        raise _problem("is not a valid phone number (no such number in its country's numbering plan)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(value: str) -> str:
    """Lowercased whole: two addresses differing in case are one person's in practice."""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise _problem(f"is not an email address: {error}") from None


def country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value, re.ASCII) or pycountry.countries.get(alpha_2=value) is None:
        raise _problem("is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. US)")
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone(value: str) -> str:
    if value not in _zones():
        raise _problem("is not an IANA time zone (e.g. Europe/Istanbul)")
    return value


@cache
def _country_zones() -> dict[str, list[str]]:
    """Each country's zones, from the IANA database's `zone.tab` (as the `tzdata` package
    ships it: the same data on every platform)."""
    zones: dict[str, list[str]] = {}
    text = (files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, zone = line.split("\t")[:3]
            zones.setdefault(code, []).append(zone)
    return zones


def country_zone(code: str | None) -> str | None:
    """The zone of a country that has exactly one (SPEC §7), else None."""
    zones = _country_zones().get(code or "", [])
    return zones[0] if len(zones) == 1 else None


def storable(fields: dict[str, Any]) -> dict[str, Any]:
    """Custom fields both databases read back as JSON exactly as Python does, so segment
    rules agree in SQL and at decide time: no NUL in a key or a string (PostgreSQL's
    `jsonb` refuses one) and no number beyond a double's range (rules compare doubles)."""
    for item, path in walk(fields):
        where = json_path(path) or "(root)"
        if isinstance(item, str) and "\x00" in item:
            raise _problem(f"cannot contain the NUL character (\\u0000) (at {where})")
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > sys.float_info.max:
            raise _problem(f"holds a number beyond a double's range (at {where})")
    return fields


Phone = Annotated[str, AfterValidator(e164)]
Email = Annotated[str, AfterValidator(email)]
Country = Annotated[str, AfterValidator(country)]
Zone = Annotated[str, AfterValidator(timezone)]


class Preferences(Written):
    """Per channel type (the seed's, and `push`): opted in or out; a channel left out is
    neither (null in an update: forgotten)."""

    sms: Preference | None = None
    whatsapp: Preference | None = None
    email: Preference | None = None
    rcs: Preference | None = None
    viber: Preference | None = None
    voice: Preference | None = None
    push: Preference | None = None


class ContactFields(Written):
    """A contact as written; in an update, the fields given (null: cleared)."""

    phone: Phone | None = None
    email: Email | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    country: Country | None = None
    lifecycleStage: Name | None = None
    timezone: Zone | None = None
    tags: list[Name] | None = None
    customFields: Annotated[dict[str, Any], AfterValidator(storable)] | None = None
    preferences: Preferences | None = None


class Tags(Written):
    tags: list[Name]


class StoredContact(BaseModel):
    """A contact as the API answers it: every field, null when it has none."""

    id: str
    phone: str | None
    email: str | None
    firstName: str | None
    lastName: str | None
    country: str | None
    lifecycleStage: str | None
    timezone: str | None
    tags: list[str]
    customFields: dict[str, Any]
    preferences: Preferences
    createdAt: str
    updatedAt: str


class ContactPage(BaseModel):
    data: list[StoredContact]
    pagination: Pagination


class Activity(BaseModel):
    """An interaction (`data`: as recorded) or a decision (`data`: its policy set's version
    and its decisions) of the contact."""

    type: Literal["interaction", "decision"]
    id: str
    at: str
    data: dict[str, Any]


class ActivityPage(BaseModel):
    data: list[Activity]
    pagination: Pagination

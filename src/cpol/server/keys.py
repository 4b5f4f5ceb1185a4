"""API keys (SPEC §5.1): only a key's sha256 is stored; the key itself is shown once.

A key is random (256 bits), so a plain hash is enough: there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import IntegrityError

from cpol.server.clock import now
from cpol.server.database import fast_rows, transaction
from cpol.server.models import ApiKey

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
KEY_PREFIX = "cpol_"


class KeyProblem(Exception):
    """A key command that cannot be done (a name taken, a name unknown); its message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: the key's name (the audit's actor), tenant and role."""

    name: str
    tenant_id: str
    role: Role

    def may(self, minimum: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(minimum)


@dataclass(frozen=True)
class KeyInfo:
    name: str
    tenant_id: str
    role: str
    created_at: str
    revoked_at: str | None


def role_named(name: str) -> Role:
    """The role spelled `name` (ValueError for another word)."""
    for role in ROLES:
        if role == name:
            return role
    raise ValueError(f"unknown role {name!r}")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(engine: Engine, tenant: str, role: Role, name: str | None = None) -> str:
    """A new key for `tenant` with `role`; stores its hash under `name` (default: generated)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name or f"key_{secrets.token_hex(4)}",
        key_hash=_hash(key),
        tenant_id=tenant,
        role=role,
        created_at=now(),
    )
    try:
        with transaction(engine, write=True) as session:
            session.add(row)
    except IntegrityError:
        raise KeyProblem(f"a key named {name!r} already exists") from None
    return key


def list_keys(engine: Engine) -> list[KeyInfo]:
    with transaction(engine) as session:
        rows = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
        return [KeyInfo(r.name, r.tenant_id, r.role, r.created_at, r.revoked_at) for r in rows]


def revoke_key(engine: Engine, name: str) -> None:
    with transaction(engine, write=True) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.name == name)).one_or_none()
        if row is None:
            raise KeyProblem(f"no key named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = now()


#: Built once: asked on every request.
KEY_LOOKUP = select(ApiKey.name, ApiKey.tenant_id, ApiKey.role, ApiKey.revoked_at).where(
    ApiKey.key_hash == bindparam("key_hash")
)


def authenticate(engine: Engine, key: str) -> Principal | None:
    """The principal of a live key, or None for an unknown or revoked one."""
    with engine.connect() as connection:
        rows = fast_rows(connection, KEY_LOOKUP, {"key_hash": _hash(key)})
    if not rows:
        return None
    name, tenant_id, role, revoked_at = rows[0]
    if revoked_at is not None or role not in ROLES:
        return None
    return Principal(name, tenant_id, role_named(role))

"""`fast_rows` (a SELECT on the driver's cursor) answers what SQLAlchemy's execution does,
on each database, with parameters given and bound by the statement itself."""

from __future__ import annotations

from sqlalchemy import bindparam, func, literal, select

from cpol.server.database import fast_rows, make_engine, transaction
from cpol.server.models import ApiKey

from .client import KeyMaker, Server


def test_fast_rows_answer_as_sqlalchemy_does(server: Server, make_key: KeyMaker, tenant: str) -> None:
    for role in ("admin", "viewer"):
        make_key(tenant, role)
    statement = (
        select(ApiKey.role, func.coalesce(func.length(ApiKey.name), 0), literal("fixed"))
        .where(ApiKey.tenant_id == bindparam("tenant"), ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.role)
    )
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as session:
            expected = [tuple(row) for row in session.connection().execute(statement, {"tenant": tenant})]
            assert fast_rows(session, statement, {"tenant": tenant}) == expected
            assert [role for role, _, _ in expected] == ["admin", "viewer"]
        with engine.connect() as connection:
            assert fast_rows(connection, statement, {"tenant": "nobody"}) == []
    finally:
        engine.dispose()

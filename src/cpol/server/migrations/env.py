"""Alembic's environment: migrations run on the connection `database.upgrade` hands in."""

from alembic import context

from cpol.server.models import Base, compared

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_object=compared,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: always run with the connection `archive.store.migrate` hands over."""
from alembic import context

from archive.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

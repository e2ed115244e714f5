"""Dialect-neutral upserts: the one place that knows SQLite and PostgreSQL spell INSERT … ON CONFLICT alike."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select


def insert(conn: Connection, table: Table):  # type: ignore[no-untyped-def]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


def get_or_create(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> tuple[int, bool]:
    """The id of the row with `key`, inserting it with `values` if absent; True when this call inserted it.

    Under concurrency the losing INSERT waits for the winner's commit, then does nothing and reads its row.
    """
    stmt = (insert(conn, table).values(**key, **values)
            .on_conflict_do_nothing(index_elements=list(key)).returning(table.c.id))
    row = conn.execute(stmt).first()
    if row is not None:
        return row[0], True
    return conn.execute(select(table.c.id).where(*(table.c[k] == v for k, v in key.items()))).scalar_one(), False

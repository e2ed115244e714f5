"""Dialect-neutral writes: upserts and bulk inserts and updates, the one place that knows how SQLite and PostgreSQL
differ in them.

Bulk writes go to SQLite as an executemany, which its driver runs row by row in C. PostgreSQL gets one statement per
table whose rows arrive as one array per column (`unnest`): the driver sends arrays in its C code, where a multi-row
VALUES statement costs it a parse of thousands of placeholders and per-row executes cost a round of the protocol
each — either way ten times the client CPU.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, Connection, Engine, Row, Table, bindparam, select, update
from sqlalchemy.exc import DBAPIError

from archive.store.db import dumps

log = logging.getLogger(__name__)
_T = TypeVar("_T")
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was chosen as the victim and is rolled
# back whole; running it again is the documented remedy.
RETRYABLE = frozenset({"40P01", "40001"})
ATTEMPTS = 5


def transaction(engine: Engine, work: Callable[[Connection], _T]) -> _T:
    """`work` in one transaction, run again when PostgreSQL aborts it for a deadlock with concurrent writers (several
    crawl workers ingesting into one archive lock overlapping report rows in different orders)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)  # psycopg's errors have it
            if state not in RETRYABLE or attempt == ATTEMPTS:
                raise
            log.warning("transaction aborted (%s), attempt %d of %d", state, attempt, ATTEMPTS)
            time.sleep(random.uniform(0.05, 0.25) * attempt)
    raise AssertionError("unreachable")


def utcnow() -> datetime:
    """Now, as the tables' DateTime columns hold it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def insert(conn: Connection, table: Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert(table)


def get_or_create(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> tuple[int, bool]:
    """The id of the row with `key`, inserting it with `values` if absent; True when this call inserted it.

    Looked up first (the row usually exists); under concurrency the losing INSERT waits for the winner's commit,
    then does nothing and reads its row.
    """
    where = [table.c[k] == v for k, v in key.items()]
    found = conn.execute(select(table.c.id).where(*where)).scalar()
    if found is not None:
        return found, False
    stmt = (insert(conn, table).values(**key, **values)
            .on_conflict_do_nothing(index_elements=list(key)).returning(table.c.id))
    row = conn.execute(stmt).first()
    if row is not None:
        return row[0], True
    return conn.execute(select(table.c.id).where(*where)).scalar_one(), False


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str],
               returning: Sequence[Column] = ()) -> Sequence[Row]:
    """INSERT … ON CONFLICT (key) DO NOTHING for many rows at once; returns `returning` of the rows it inserted.

    Rows go in key order: two PostgreSQL transactions inserting overlapping keys then wait for each other in the
    same order, never in a cycle (a deadlock).
    """
    if not rows:
        return []
    ordered = sorted(rows, key=itemgetter(*key))
    if conn.dialect.name == "postgresql":
        columns = list(ordered[0])
        q = conn.dialect.identifier_preparer.quote
        sql = (f"INSERT INTO {q(table.name)} ({', '.join(map(q, columns))})"
               f" SELECT * FROM {_unnest(conn, table, columns)}"
               f" ON CONFLICT ({', '.join(map(q, key))}) DO NOTHING")
        if returning:
            sql += f" RETURNING {', '.join(q(c.name) for c in returning)}"
        result = conn.exec_driver_sql(sql, _arrays(table, columns, ordered))
        return result.all() if returning else []
    stmt = insert(conn, table).on_conflict_do_nothing(index_elements=list(key))
    if not returning:
        conn.execute(stmt, ordered)
        return []
    return conn.execute(stmt.returning(*returning), ordered).all()


def update_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: str = "id") -> None:
    """UPDATE each row identified by `key` with the row's other values (every row sets the same columns)."""
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "postgresql":
        q = conn.dialect.identifier_preparer.quote
        sql = (f"UPDATE {q(table.name)} SET {', '.join(f'{q(c)} = u.{q(c)}' for c in columns if c != key)}"
               f" FROM {_unnest(conn, table, columns)} AS u({', '.join(map(q, columns))})"
               f" WHERE {q(table.name)}.{q(key)} = u.{q(key)}")
        conn.exec_driver_sql(sql, _arrays(table, columns, rows))
        return
    values = {c: bindparam(f"new_{c}", type_=table.c[c].type) for c in columns if c != key}
    conn.execute(update(table).where(table.c[key] == bindparam(f"new_{key}")).values(**values),
                 [{f"new_{c}": row[c] for c in columns} for row in rows])


def _unnest(conn: Connection, table: Table, columns: list[str]) -> str:
    types = [table.c[c].type.compile(dialect=conn.dialect) for c in columns]
    # %(…)b: sent in binary, where the text format would escape every string and bytea element in Python.
    return f"unnest({', '.join(f'%({c})b::{t}[]' for c, t in zip(columns, types))})"


def _arrays(table: Table, columns: list[str], rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    out = {}
    for c in columns:
        values = [row[c] for row in rows]
        if isinstance(table.c[c].type, JSON):  # JSON travels as text; None stays SQL NULL (none_as_null)
            values = [None if v is None else dumps(v) for v in values]
        out[c] = values
    return out

"""Alembic, run from code: `nianbao db upgrade`, and automatically when an archive is first opened.

Two processes opening a fresh archive at once must not both create the tables: the upgrade runs inside one
transaction that first takes the database's write lock (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL).
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant shared by all nianbao processes; it only has to differ from other applications' advisory locks.
PG_LOCK_KEY = 0x6E69616E62616F


@cache
def _unpacked_migrations() -> Path:
    """The migration scripts of a zipped egg (as Scrapyd runs the project), unpacked: Alembic reads files only."""
    egg = zipfile.ZipFile(__loader__.archive)  # type: ignore[name-defined]  # the zipimporter's file
    folder = Path(tempfile.mkdtemp(prefix="nianbao-migrations-"))
    atexit.register(shutil.rmtree, folder, True)
    prefix = f"{__package__.replace('.', '/')}/migrations/"  # archive/store/migrations/ inside the egg
    for name in egg.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            egg.extract(name, folder)
    return folder / prefix


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS if MIGRATIONS.is_dir() else _unpacked_migrations()))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(engine: Engine) -> str:
    """Bring the schema to the newest revision; returns it. Cheap when the schema is already current."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return head
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
        if current_revision(conn) != head:
            command.upgrade(alembic_config(conn), "head")
    return head

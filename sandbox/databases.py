"""Throwaway PostgreSQL databases for tests and benchmarks, on a server where they may be created and dropped."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text

from archive.store.db import resolve_url


def fresh_postgresql(server_url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database on the server of `server_url`; returns its URL and a function that drops it."""
    name = f"nianbao_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(resolve_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = server_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop

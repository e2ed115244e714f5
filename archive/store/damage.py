"""A damaged archive said in one sentence: a SQLite file that is malformed or not a database at all, or a blob whose
bytes no longer match its digest. Commands stop with that sentence (`nianbao: …`, exit 3) instead of a traceback,
and `import` checks a SQLite archive before writing into it, so that it never reports success into a malformed file.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import Engine

EXIT_DAMAGED = 3
# SQLITE_CORRUPT and SQLITE_NOTADB (primary codes; extended codes such as SQLITE_CORRUPT_INDEX keep them in the
# low byte).
_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_ADVICE = "restore it from a backup, or move it aside to start a new archive"


class DamagedArchive(RuntimeError):
    """The archive's database or one of its blobs is damaged."""


class CorruptBlob(DamagedArchive, ValueError):
    """A blob's bytes do not match its digest (a ValueError too, as before this class existed)."""


def check_integrity(engine: Engine) -> None:
    """Raise DamagedArchive unless SQLite's quick check passes (PostgreSQL guards its own pages)."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            problems = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check(5)")]
    except Exception as exc:
        message = described(exc, engine.url.database)
        if message is None:
            raise
        raise DamagedArchive(message) from exc
    if problems != ["ok"]:
        lines = [line for problem in problems for line in problem.splitlines() if not line.startswith("***")]
        raise DamagedArchive(f"the archive database {engine.url.database} is damaged ({'; '.join(lines)}): "
                             + _ADVICE)


def described(exc: BaseException, database: str | None = None) -> str | None:
    """One sentence for an error that means a damaged archive, or None for any other error."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DamagedArchive):
            return str(cause)
        if isinstance(cause, sqlite3.DatabaseError) and \
                (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in _DAMAGE_CODES:
            where = f" {database}" if database else ""
            return f"the archive database{where} is damaged ({cause}): {_ADVICE}"
        cause = getattr(cause, "orig", None) or cause.__cause__ or cause.__context__
    return None

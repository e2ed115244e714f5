"""What the archive holds: the blobs by digest (what `nianbao reparse` reads again), the years it has reports of."""
from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from archive.store.models import T


def digests(conn: Connection, among: Collection[str] | None = None) -> list[str]:
    """The sha256 of every stored blob, in order; only those `among` the digests given, when given."""
    blobs = T["blobs"]
    query = select(blobs.c.sha256).order_by(blobs.c.sha256)
    if among:
        query = query.where(blobs.c.sha256.in_(among))
    return list(conn.execute(query).scalars())


def report_years(conn: Connection) -> list[int]:
    """The years the archive holds reports of, in order."""
    reports = T["reports"]
    return list(conn.execute(select(reports.c.year).distinct().order_by(reports.c.year)).scalars())

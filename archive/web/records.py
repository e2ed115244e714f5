"""Read helpers shared by the pages: agency references and the S5 (copied report) flags of given versions."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from archive.models import T
from archive.web.schemas import AgencyRef, Check

AGENCY_COLUMNS = tuple(T["agencies"].c[name] for name in ("id", "name", "level", "kind", "division_code"))


def agency_ref(row: Any) -> AgencyRef:
    return AgencyRef(id=row.id, name=row.name, level=row.level, kind=row.kind, division_code=row.division_code)


def copy_flags(conn: Connection, version_ids: list[int]) -> dict[int, list[Check]]:
    """S5 flags by version, worded as `archive.coverage.flagged_copies` words them (that one reads a whole year)."""
    nd = T["neardups"]
    out: dict[int, list[Check]] = {}
    if not version_ids:
        return out
    for row in conn.execute(select(nd.c.version_id, nd.c.other_version_id, nd.c.relation, nd.c.similarity,
                                   nd.c.same_tables).where(nd.c.version_id.in_(version_ids))
                            .order_by(nd.c.version_id, nd.c.other_version_id)):
        out.setdefault(row.version_id, []).append(Check(
            rule="S5", ok=False, where=row.relation,
            detail=f"similar to version {row.other_version_id}: prose {row.similarity:.2f}"
                   + (", identical tables" if row.same_tables else "")))
    return out


def contains(text: str) -> str:
    """A LIKE pattern (with `escape="\\"`) for values containing `text` literally, % and _ included."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def checks(items: list[dict[str, Any]] | None) -> list[Check]:
    return [Check(rule=str(c.get("rule")), ok=bool(c.get("ok")), where=str(c.get("where") or ""),
                  detail=str(c.get("detail") or "")) for c in items or ()]

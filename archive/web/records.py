"""Read helpers shared by the pages: agency references and the reports given versions read like (rule S5)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from archive.queries.statuses import Verdict, YearFacts, deadline
from archive.store.models import T
from archive.web.schemas import AgencyRef, Check, CopyRef

AGENCY_COLUMNS = tuple(T["agencies"].c[name] for name in ("id", "name", "level", "kind", "division_code"))


def agency_ref(row: Any) -> AgencyRef:
    return AgencyRef(id=row.id, name=row.name, level=row.level, kind=row.kind, division_code=row.division_code)


def copies_of(conn: Connection, version_ids: list[int]) -> dict[int, list[CopyRef]]:
    """Rule S5 by version: the reports each reads like, most similar first, with their agency and year."""
    nd, ver, rep, ag = T["neardups"], T["versions"], T["reports"], T["agencies"]
    out: dict[int, list[CopyRef]] = {}
    if not version_ids:
        return out
    for row in conn.execute(
            select(nd.c.version_id, nd.c.relation, nd.c.similarity, nd.c.same_tables, ver.c.seq, rep.c.id.label(
                "report_id"), rep.c.year, *(c.label(f"agency_{c.name}") for c in AGENCY_COLUMNS))
            .join(ver, ver.c.id == nd.c.other_version_id).join(rep, rep.c.id == ver.c.report_id)
            .join(ag, ag.c.id == rep.c.agency_id).where(nd.c.version_id.in_(version_ids))
            .order_by(nd.c.version_id, nd.c.similarity.desc(), nd.c.other_version_id)):
        out.setdefault(row.version_id, []).append(CopyRef(
            relation=row.relation, similarity=round(row.similarity, 3), same_tables=row.same_tables,
            agency=AgencyRef(id=row.agency_id, name=row.agency_name, level=row.agency_level, kind=row.agency_kind,
                             division_code=row.agency_division_code),
            year=row.year, report_id=row.report_id, version_seq=row.seq))
    return out


def contains(text: str) -> str:
    """A LIKE pattern (with `escape="\\"`) for values containing `text` literally, % and _ included."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def checks(items: list[dict[str, Any]] | None) -> list[Check]:
    return [Check(rule=str(c.get("rule")), ok=bool(c.get("ok")), where=str(c.get("where") or ""),
                  detail=str(c.get("detail") or "")) for c in items or ()]


def year_verdict(facts: YearFacts, agency: AgencyRef, year: int, report: Any | None,
                 portal: str | None) -> tuple[date, Verdict]:
    """The agency's deadline for `year` and its status then (`YearFacts.verdict`), given its report of the year (a
    row with `published` and `first_seen`) or None, and the portal publishing for it."""
    due = deadline(year, agency.kind, agency.level)
    return due, facts.verdict(agency.id, due, report is not None, report.published if report else None,
                              report.first_seen if report else None, portal)

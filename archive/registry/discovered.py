"""Agencies found in report titles that the registry does not know (a township's report on its county portal)
are created by the archive as `discovered`; here they get the portal's agency as their parent."""
from __future__ import annotations

from sqlalchemy import select, update

from archive.ingest.identity import normalise_agency
from archive.store.db import Archive
from archive.store.models import T


def attach_discovered(archive: Archive, run_id: str) -> int:
    cap, ex, ag, al, po = T["captures"], T["extractions"], T["agencies"], T["aliases"], T["portals"]
    with archive.engine.begin() as conn:
        found = conn.execute(select(ex.c.agency, cap.c.portal).distinct()
                             .join(ex, ex.c.sha256 == cap.c.sha256)
                             .where(cap.c.run_id == run_id, ex.c.is_report, ex.c.agency.is_not(None))).all()
        owners = dict(conn.execute(select(po.c.url, po.c.agency_id)).all())
        orphans = dict(conn.execute(select(al.c.alias, ag.c.id).join(ag, ag.c.id == al.c.agency_id)
                                    .where(ag.c.origin == "discovered", ag.c.parent_id.is_(None))).all())
        updates: dict[int, int] = {}
        for agency, portal in found:
            child, parent = orphans.get(normalise_agency(agency)), owners.get(portal)
            if child and parent and child != parent:
                updates.setdefault(child, parent)
        for child, parent in updates.items():
            conn.execute(update(ag).where(ag.c.id == child).values(parent_id=parent))
    return len(updates)

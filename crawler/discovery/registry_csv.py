"""A discovery run's records as the crawler's registry CSV (`crawler.discovery.registry.HEADER`, which `nianbao crawl
--registry` loads as it is) with four columns more: the evidence, the confidence, first and last seen."""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from archive.registry.bindings import Discovered, Evidence
from crawler.discovery.registry import HEADER

COLUMNS = (*HEADER, "evidence", "confidence", "first_seen", "last_seen")
EVIDENCE_SEPARATOR = " ; "


def evidence_cell(evidence: Iterable[Evidence]) -> str:
    """`SiteIDCode=3501000001 <http://www.fuzhou.gov.cn/> ; SiteName=福州市人民政府 <…>`."""
    return EVIDENCE_SEPARATOR.join(f"{e.signal}={e.value} <{e.url}>" for e in evidence)


def row(d: Discovered, first_seen: datetime, last_seen: datetime) -> dict[str, str]:
    return {"name": d.name, "level": d.level, "kind": d.kind, "division_code": d.division_code, "parent": d.parent,
            "portal_url": d.portal_url, "column_urls": " ".join(d.column_urls), "platform": d.platform,
            "enabled": "true", "evidence": evidence_cell(d.evidence), "confidence": f"{d.confidence:.2f}",
            "first_seen": first_seen.isoformat(timespec="seconds"),
            "last_seen": last_seen.isoformat(timespec="seconds")}


def write(path: str | Path, records: Iterable[Discovered], now: datetime,
          seen: Mapping[tuple[str, str], tuple[datetime | None, datetime | None]] | None = None) -> int:
    """Write `records` to `path`; `seen` gives (first, last seen) by (name, division code), the archive's; `now`
    stands in for what it does not give."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for d in records:
            first, last = (seen or {}).get((d.name, d.division_code), (None, None))
            writer.writerow(row(d, first or now, last or now))
            count += 1
    return count

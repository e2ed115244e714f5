"""One row per report (its current version): every canonical field as a column named by its schema key."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, select

from archive import models as m, results
from archive.coverage import check_labels, flagged_copies
from archive.csv_cells import csv_record
from archive.queries.statuses import DEFAULT_TOWNSHIP_DEADLINE, deadline, status_of
from pipelines.schema import AMOUNT_COLUMNS, column_of, field_keys
from pipelines.values import held

FIELD_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(field_keys("2021") + field_keys("2019")))
META_COLUMNS = ("agency", "level", "kind", "division_code", "year", "template", "title", "published",
                "date_source", "first_seen", "status", "days_late", "versions", "check_failures", "source_urls")
COLUMNS = META_COLUMNS + FIELD_COLUMNS
LIST_COLUMNS = ("check_failures", "source_urls")
FORMATS = ("csv", "jsonl", "parquet")


def rows(conn: Connection, year: int | None = None,
         township_deadline: tuple[int, int] = DEFAULT_TOWNSHIP_DEADLINE) -> Iterator[dict[str, Any]]:
    ag, rep, ver, ex, src, cap = (m.Agency.__table__, m.Report.__table__, m.Version.__table__,
                                  m.Extraction.__table__, m.VersionSource.__table__, m.Capture.__table__)
    query = (select(ag.c.name, ag.c.level, ag.c.kind, ag.c.division_code, rep.c.year, rep.c.first_seen,
                    rep.c.published, rep.c.versions, rep.c.failed_checks, rep.c.cross_checks,
                    rep.c.current_version_id, ver.c.template, ver.c.title, ex.c.body)
             .join(rep, rep.c.agency_id == ag.c.id).join(ver, ver.c.id == rep.c.current_version_id)
             .join(ex, ex.c.id == ver.c.extraction_id).order_by(rep.c.year, ag.c.division_code, ag.c.name))
    if year is not None:
        query = query.where(rep.c.year == year)
    copies = flagged_copies(conn, year)
    urls: dict[int, list[str]] = {}
    url_query = (select(src.c.version_id, cap.c.final_url).distinct().join(cap, cap.c.sha256 == src.c.sha256)
                 .join(rep, rep.c.current_version_id == src.c.version_id).order_by(src.c.version_id, cap.c.final_url))
    if year is not None:
        url_query = url_query.where(rep.c.year == year)
    for version_id, url in conn.execute(url_query):
        urls.setdefault(version_id, []).append(url)
    for r in conn.execute(query):
        # Every row has a report: the as-of day and the portal's facts do not enter its status.
        status, late, when, source, _ = status_of(deadline(r.year, r.kind, r.level, township_deadline), date.today(),
                                                  True, r.published, r.first_seen, False, False, True, True)
        fields = results.fields(r.body)
        yield {
            "agency": r.name, "level": r.level, "kind": r.kind, "division_code": r.division_code, "year": r.year,
            "template": r.template, "title": r.title, "published": when.isoformat() if when else None,
            "date_source": source, "first_seen": r.first_seen.isoformat(sep=" ") if r.first_seen else None,
            "status": str(status), "days_late": late, "versions": r.versions,
            "check_failures": list(check_labels(r.failed_checks, r.cross_checks, copies.get(r.current_version_id))),
            "source_urls": urls.get(r.current_version_id, []),
            **{key: held(fields.get(key)) for key in FIELD_COLUMNS},
        }


def write_csv(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(csv_record({k: " ".join(v) if k in LIST_COLUMNS else v for k, v in record.items()}))
        count += 1
    return count


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        count += 1
    return count


def _field_type(key: str, values: list[Any]):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    # Counts (signed or not) are integers; amounts, and any count a document gave as a fraction, are floats.
    if column_of(key) in AMOUNT_COLUMNS or any(isinstance(v, float) and not v.is_integer() for v in values):
        return pa.float64()
    return pa.int64()


def write_parquet(records: Iterator[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = list(records)
    columns = {name: [r[name] for r in data] for name in COLUMNS}
    types = {"year": pa.int32(), "days_late": pa.int32(), "versions": pa.int32(),
             **{name: pa.list_(pa.string()) for name in LIST_COLUMNS},
             **{key: _field_type(key, columns[key]) for key in FIELD_COLUMNS}}
    arrays = []
    for name in COLUMNS:
        kind = types.get(name, pa.string())
        values = columns[name]
        if kind == pa.int64():
            values = [None if v is None else int(v) for v in values]
        arrays.append(pa.array(values, type=kind))
    pq.write_table(pa.Table.from_arrays(arrays, names=list(COLUMNS)), path)
    return len(data)

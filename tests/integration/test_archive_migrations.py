"""Upgrading an archive written at revision 0001: stored results are repacked, identities and MinHash signatures
recomputed, table-only renderings join their full versions, S5 flags are found again."""
from __future__ import annotations

import json
from datetime import datetime

from alembic import command
from sqlalchemy import inspect, select, text

from archive.ingest import stored_results
from archive.ingest.identity import canonical_fields, content_digest, prose
from archive.store import models as m
from archive.store.db import make_engine, open_archive, resolve_url
from archive.store.migrate import alembic_config, head_revision
from sandbox import synthetic

T0 = datetime(2024, 2, 1, 9, 0)


def old_fingerprint(r) -> str:
    """Revision 0001's fingerprint: fields and prose, for every rendering."""
    return content_digest(canonical_fields(r.fields), prose(r.sections))


def write_0001_archive(conn) -> dict[str, dict]:
    full = synthetic.report("安康市", 2023)
    sheet = synthetic.spreadsheet(full)
    copied = synthetic.report("宁陕县", 2023, seed="安康市2023")  # 安康市's wording
    copied.fields = synthetic.fields("宁陕县")
    blobs = {name: synthetic.digest(synthetic.body(r, name)) for name, r in
             (("full", full), ("sheet", sheet), ("copied", copied))}
    sql = lambda statement, **params: conn.execute(text(statement), params)  # noqa: E731
    sql("INSERT INTO runs (id, kind, started_at) VALUES ('run-0', 'crawl', :t)", t=T0)
    for agency_id, name in ((1, "安康市"), (2, "宁陕县")):
        sql("INSERT INTO agencies (id, name, level, kind, origin, created_at) "
            "VALUES (:i, :n, 'prefecture', 'government', 'discovered', :t)", i=agency_id, n=name, t=T0)
        sql("INSERT INTO agency_aliases (alias, agency_id) VALUES (:n, :i)", n=name, i=agency_id)
        sql("INSERT INTO reports (id, agency_id, year, kind, versions, carry) VALUES (:i, :i, 2023, 'government', 1, "
            "'{}')", i=agency_id)
    rows = (("full", full, 1, 1), ("sheet", sheet, 1, 2), ("copied", copied, 2, 3))
    for n, (name, r, report_id, version_id) in enumerate(rows, 1):
        sha = blobs[name]
        sql("INSERT INTO blobs (sha256, size, format, path, stored_at) VALUES (:s, 1, 'text', 'x', :t)", s=sha, t=T0)
        sql("INSERT INTO captures (id, key, requested_url, final_url, fetched_at, run_id, sha256, size) "
            "VALUES (:n, :s, :u, :u, :t, 'run-0', :s, 1)", n=n, s=sha, u=f"https://x.gov.cn/{name}", t=T0)
        sql("INSERT INTO extractions (id, sha256, parser_version, is_report, agency, year, template, fingerprint, "
            "result, created_at) VALUES (:n, :s, 'test-1', true, :a, 2023, '2021', :f, :r, :t)",
            n=n, s=sha, a=r.agency, f=old_fingerprint(r), r=json.dumps(r.as_dict(), ensure_ascii=False), t=T0)
        sql("INSERT INTO versions (id, report_id, fingerprint, seq, extraction_id, first_seen, last_seen, minhash) "
            "VALUES (:v, :r, :f, 1, :n, :t, :t, :m)", v=version_id, r=report_id, f=old_fingerprint(r), n=n, t=T0,
            m=b"\x00" * 1024)
        sql("INSERT INTO version_sources (sha256, version_id, extraction_id) VALUES (:s, :v, :n)",
            s=sha, v=version_id, n=n)
        sql("INSERT INTO minhash_bands (bucket, version_id) VALUES (:n, :v)", n=n, v=version_id)
    sql("UPDATE reports SET current_version_id = id")
    return {"full": full.as_dict(), "sheet": sheet.as_dict(), "copied": copied.as_dict()}


def test_an_archive_at_0001_upgrades_with_its_data_converted(db_url, tmp_path):
    engine = make_engine(resolve_url(db_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        originals = write_0001_archive(conn)
    engine.dispose()
    arc = open_archive(db_url, tmp_path / "data")  # upgrades to head
    with arc.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        ex = m.Extraction.__table__
        stored = {row.id: stored_results.unpack(row.meta, row.body)
                  for row in conn.execute(select(ex.c.id, ex.c.meta, ex.c.body))}
        identity = conn.execute(text("SELECT id, table_only, tables FROM extractions ORDER BY id")).all()
        versions = conn.execute(text(
            "SELECT v.report_id, count(*), min(length(v.minhash)) FROM versions v "
            "JOIN version_sources s ON s.version_id = v.id GROUP BY v.report_id ORDER BY 1")).all()
        flags = conn.execute(text("SELECT relation, count(*) FROM near_duplicates GROUP BY relation")).all()
        pending = conn.execute(text("SELECT count(*) FROM pending_copy_checks")).scalar()
        columns = {c["name"] for c in inspect(conn).get_columns("reports")}
    assert [stored[n] for n in (1, 2, 3)] == [originals["full"], originals["sheet"], originals["copied"]]
    assert [(bool(t), tables == identity[0].tables) for _, t, tables in identity] == [
        (False, True), (True, True), (False, False)]
    assert [tuple(v) for v in versions] == [(1, 2, 512), (2, 1, 512)]  # the spreadsheet joined its full version
    assert [tuple(f) for f in flags] == [("other_agency", 2)] and pending == 0
    assert "carry" not in columns
    arc.engine.dispose()

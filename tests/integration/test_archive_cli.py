"""The archive's CLI on real extraction of the seed reports: import, reparse, coverage, export, db; WARC; Alembic."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from archive.ingest import ingestor as ingest
from archive.store.db import make_engine, open_archive, resolve_url
from archive.store.migrate import head_revision
from archive.store.models import Base
from archive.store.warc import WarcFile, WarcRef, read_payload
from crawler.cli import archive as cli, main
from pipelines.extract import extract
from sandbox.synthetic import T0
from tests.support import FIXTURES, SEED_REPORTS

SEEDS = sorted(SEED_REPORTS.glob("*.txt"))


def nianbao(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="nianbao")
    cli.add_parsers(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for path in SEEDS:
        shutil.copy(path, folder / path.name)
    # The first seed again, re-saved: GBK, Windows line ends, page chrome around it. New bytes, same report.
    first = SEEDS[0].read_text(encoding="utf-8")
    restamped = "发布时间：2024-02-02 08:00:00  浏览次数：56\n" + first + "\n【打印本页】【关闭窗口】\n"
    (folder / "resaved.txt").write_bytes(restamped.replace("\n", "\r\n").encode("gb18030"))
    return folder


def test_import_reparse_coverage_export(db_url, tmp_path, seeds, capsys, monkeypatch):
    common = ("--db", db_url, "--data", str(tmp_path / "data"))
    assert nianbao("import", str(seeds), *common) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["inserted"], stats["unchanged"]) == (5, 1)
    assert nianbao("import", str(seeds), *common) == 0
    assert json.loads(capsys.readouterr().out)["noop"] == 6

    arc = open_archive(db_url, tmp_path / "data")
    with arc.engine.connect() as conn:
        sources = conn.execute(text(
            "SELECT a.name, count(*) FROM version_sources s JOIN versions v ON v.id = s.version_id "
            "JOIN reports r ON r.id = v.report_id JOIN agencies a ON a.id = r.agency_id GROUP BY a.name")).all()
        warc_rows = conn.execute(text("SELECT warc_file, warc_record_id, warc_offset, requested_url, sha256 "
                                      "FROM captures")).all()
    assert dict(sources)["岚皋县行政审批服务局"] == 2 and len(sources) == 5
    for row in warc_rows:  # every imported byte is in a WARC resource record under its file: URI
        assert row.requested_url.startswith("file://")
        payload = read_payload(arc.warc_dir, WarcRef(row.warc_file, row.warc_record_id, row.warc_offset))
        assert ingest.sha256_hex(payload) == row.sha256

    # A new parser version re-reads every stored blob without the original files.
    shutil.rmtree(seeds)
    monkeypatch.setattr(ingest, "current_extractor", lambda: (extract, "reparse-test"))
    assert nianbao("reparse", "--workers", "2", *common) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["parser_version"] == "reparse-test"
    assert "reparse: 6/6 documents" in err  # progress, and its last line once all are read
    with arc.engine.connect() as conn:
        per_version = dict(conn.execute(text(
            "SELECT parser_version, count(*) FROM extractions GROUP BY parser_version")).all())
        linked = conn.execute(text("SELECT DISTINCT e.parser_version FROM version_sources s "
                                   "JOIN extractions e ON e.id = s.extraction_id")).scalars().all()
    assert per_version.pop("reparse-test") == 6 and list(per_version.values()) == [6]  # the old ones are kept
    assert linked == ["reparse-test"]

    assert nianbao("coverage", "--year", "2023", "--format", "json", *common) == 0
    listed = {r["agency"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"岚皋县行政审批服务局", "泽州县行政审批服务管理局", "安康市行政审批服务局",
                           "盐池县审批服务管理局", "临淄区行政审批服务局"}
    # its seed reports on 2020, and no portal is known for it (issue 15: "missing" needs a crawled portal)
    assert listed["安康市行政审批服务局"]["status"] == "no_portal_known"
    assert listed["岚皋县行政审批服务局"]["date_source"] in ("stated", "first_seen")
    assert nianbao("coverage", "--year", "2023", *common) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:5] == ["agency", "level", "kind", "division_code", "status"] and len(table) == 6

    out = tmp_path / "reports.csv"
    assert nianbao("export", "--format", "csv", "--output", str(out), *common) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and "applications_new_received_natural_person" in lines[0]
    assert nianbao("export", "--format", "parquet", "--year", "2023", "--output", str(tmp_path / "r.parquet"),
                   *common) == 0


def test_import_of_a_missing_path_says_so_and_creates_no_archive(tmp_path, capsys):
    db = tmp_path / "archive.sqlite"
    assert nianbao("import", str(tmp_path / "nowhere"), "--db", str(db)) == 2
    assert capsys.readouterr().err == f"nianbao import: no such file or folder: {tmp_path / 'nowhere'}\n"
    assert not db.exists()


def test_db_upgrade_and_current(tmp_path, capsys):
    db = str(tmp_path / "x.sqlite")
    assert main(["db", "current", "--db", db]) == 2  # read-only: a mistyped --db is not made into an archive
    assert "no archive at" in capsys.readouterr().err and not Path(db).exists()
    Path(db).touch()  # an empty SQLite file is an empty database
    assert nianbao("db", "current", "--db", db) == 0
    assert capsys.readouterr().out.strip() == "empty database"
    assert nianbao("db", "upgrade", "--db", db) == 0
    assert nianbao("db", "current", "--db", db) == 0
    assert capsys.readouterr().out.strip().endswith(head_revision())


def test_migrations_build_exactly_the_models(db_url):
    engine = make_engine(resolve_url(db_url))
    open_archive(db_url, upgrade=True)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar() if conn.dialect.name == "sqlite" else "wal"
    assert mode == "wal"


def test_warc_exchange_round_trip(tmp_path):
    with WarcFile(tmp_path, "crawl-1") as warc:
        ref = warc.write_exchange("http://www.qinan.gov.cn/info/14423/1395492.htm", 200,
                                  [("Content-Type", "text/html; charset=gbk")], "年报".encode("gbk"), T0)
        second = warc.write_exchange("http://www.qinan.gov.cn/x.pdf", 200, [], b"%PDF-1.4", T0)
    assert read_payload(tmp_path, ref) == "年报".encode("gbk")
    assert read_payload(tmp_path, second) == b"%PDF-1.4" and second.offset > ref.offset


DOCS = FIXTURES / "docs"
RENDERINGS = ("seed000.txt", "seed000.plain.html", "seed000.gbk.html", "seed000.word.html", "seed000.pdf",
              "seed000.docx", "seed000.xlsx", "seed000.xls")


@pytest.mark.skipif(not all((DOCS / name).exists() for name in RENDERINGS), reason="fixtures not built")
def test_one_report_in_eight_renderings_is_one_version_with_eight_sources(tmp_path, capsys):
    """Real extraction: the same report as text, HTML (UTF-8, GBK, Word-exported), PDF, DOCX, and its tables alone
    as XLSX and XLS."""
    folder = tmp_path / "renderings"
    folder.mkdir()
    for name in RENDERINGS:
        shutil.copy(DOCS / name, folder / name)
    common = ("--db", str(tmp_path / "a.sqlite"))
    assert nianbao("import", str(folder), *common) == 0
    assert json.loads(capsys.readouterr().out) == {
        "inserted": 1, "updated": 0, "unchanged": 7, "noop": 0, "not_report": 0, "failed": 0, "unattributed": 0}
    arc = open_archive(common[1])
    with arc.engine.connect() as conn:
        formats = conn.execute(text(
            "SELECT b.format FROM version_sources s JOIN blobs b ON b.sha256 = s.sha256 ORDER BY 1")).scalars().all()
        assert conn.execute(text("SELECT count(*) FROM versions")).scalar() == 1
    assert formats == ["docx", "html", "html", "html", "pdf", "text", "xls", "xlsx"]

"""The exports an analyst uses directly (issue 18): `nianbao export` by subprocess, its files read back with pandas,
pyarrow and sqlite3 — ids, the registry tree, types, names SQL takes unquoted, lists, CSV for Excel — and the data
dictionary, which covers every column and is committed as docs/data-dictionary.md."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update
from sqlalchemy.dialects.mssql.base import RESERVED_WORDS as MSSQL
from sqlalchemy.dialects.mysql.reserved_words import RESERVED_WORDS_MYSQL as MYSQL
from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.sql.compiler import RESERVED_WORDS as SQL_STANDARD

from archive.export import dictionary
from archive.export.columns import ALL, FIELDS, Export, columns, schema_key
from archive.export.rows import rows
from archive.export.writers import write_parquet
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.store.db import open_archive
from archive.store.models import T
from pipelines.document import Check
from pipelines.schema import SECTION_KEYS, field_keys
from sandbox import synthetic
from tests.support import ROOT

REGISTRY = [
    AgencyRecord("浙江省人民政府", "government", "province", "330000"),
    AgencyRecord("甲市", "government", "prefecture", "330100", parent="浙江省人民政府"),
    AgencyRecord("甲市财政局", "department", "department", None, parent="甲市"),
    AgencyRecord("乙县", "government", "county", "330122", parent="甲市"),
    AgencyRecord("乙县丙镇", "township", "township", "330122101", parent="乙县"),
    AgencyRecord("乙县教育局", "department", "department", None, parent="乙县"),
]
# A unit of the national registry, for an agency outside the parent tree that has a code.
UNITS = [("330000", "浙江省", "province", None), ("330100", "杭州市", "prefecture", "330000"),
         ("330106", "西湖区", "county", "330100")]
URL_WITH_BAR = "http://yx.gov.cn/jyj/a|b.html"
FAILED = ["R1@applications.*.natural_person", "R2@applications.total_processed.total"]


def nianbao(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """An archive of four reports (2021 and 2019 forms, departments without codes, an agency outside the tree),
    exported once in every format through the command line."""
    tmp = tmp_path_factory.mktemp("export")
    db, data = str(tmp / "archive.sqlite"), tmp / "data"
    arc = open_archive(db, data)
    with arc.engine.begin() as conn:
        register_agencies(conn, REGISTRY)
        conn.execute(T["governments"].insert(), [
            {"division_code": code, "name": name, "level": level, "kind": "government", "parent_code": parent,
             "publisher": True, "data_as_of": dt.date(2025, 12, 31), "source_sha256": "0" * 64}
            for code, name, level, parent in UNITS])
    ing = synthetic.ingestor(arc)
    finance = synthetic.report("甲市财政局", 2023, published="2024-02-05")  # a department: 5 days late
    finance.fields.update({"active.fees.amount_10k_yuan": 40.35, "active.licensing.decisions": 0,
                           "active.punishment.decisions": None})
    town = synthetic.report("乙县丙镇", 2020, template="2019", published="2021-02-20")
    # A count a report gave as a fraction (a misprint, kept as read): its column becomes an exact decimal.
    town.fields.update({"active.procurement.amount_10k_yuan": 25.1, "active.licensing.change": -3,
                        "applications.granted.research": 2.5})
    town.checks = [Check("R1", False, "applications.*.natural_person", "3 + 0 != 2 + 0"),
                   Check("R2", False, "applications.total_processed.total", "9 != 8")]
    education = synthetic.report("乙县教育局", 2023, published="2024-01-20")
    # The same prose as 乙县教育局's: rule S5 names that report under `copies`, not among the failed checks.
    culture = synthetic.report("西湖区文化局", 2023, seed="乙县教育局2023", published="2024-01-30")
    for url, r in (("http://jia.gov.cn/czj.html", finance), ("http://yx.gov.cn/bz.html", town),
                   (URL_WITH_BAR, education), ("http://xh.gov.cn/whj.html", culture)):
        ing.ingest(synthetic.capture(url), synthetic.body(r), r)
    with arc.engine.begin() as conn:  # discovered from its title, its code set later (as the registry join would)
        conn.execute(update(T["agencies"]).where(T["agencies"].c.name == "西湖区文化局").values(division_code="330106"))
    arc.engine.dispose()
    files = {"csv": tmp / "reports.csv", "excel": tmp / "reports-excel.csv", "jsonl": tmp / "reports.jsonl",
             "parquet": tmp / "reports.parquet"}
    for name, path in files.items():
        fmt = "csv" if name == "excel" else name
        done = nianbao("export", "--format", fmt, *(["--excel"] if name == "excel" else []), "--output", str(path),
                       "--db", db, "--data", str(data))
        assert (done.returncode, done.stderr) == (0, "4 reports exported\n"), done.stderr
    return {**files, "archive": Path(db), "data": data}


def by_agency(records: list[dict]) -> dict[str, dict]:
    return {r["agency"]: r for r in records}


def test_csv_reads_back_with_ids_tree_and_lists(exported):
    raw = exported["csv"].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw  # plain CSV: no mark, LF
    frame = pd.read_csv(exported["csv"], dtype={"division_code": str, "copies": str})
    assert list(frame.columns) == [c.name for c in columns(Export.CSV)]
    assert not [c for c in frame.columns if c.startswith("section_")]  # no prose in CSV
    for name in ("report_id", "version_id", "agency_id", "year", "versions"):
        assert str(frame[name].dtype) == "int64", name
    assert frame["report_id"].is_unique and frame["version_id"].is_unique
    rows = by_agency(frame.to_dict("records"))
    finance, town, education, culture = (rows[n] for n in ("甲市财政局", "乙县丙镇", "乙县教育局", "西湖区文化局"))
    # A department has its government's code; every agency its place in the tree.
    assert (finance["division_code"], finance["parent"], finance["province_name"], finance["prefecture_name"]) == (
        "330100", "甲市", "浙江省", "甲市")
    assert pd.isna(finance["county_name"])
    assert (town["division_code"], town["parent"], town["province_name"], town["prefecture_name"],
            town["county_name"]) == ("330122101", "乙县", "浙江省", "甲市", "乙县")
    assert (education["division_code"], education["county_name"]) == ("330122", "乙县")
    # Outside the parent tree, the units come from the national registry by code.
    assert (culture["division_code"], culture["province_name"], culture["prefecture_name"],
            culture["county_name"]) == ("330106", "浙江省", "杭州市", "西湖区")
    assert pd.isna(culture["parent"]) and pd.isna(culture["parent_id"])
    assert town["parent_id"] == education["parent_id"] != finance["parent_id"]  # 乙县, 甲市
    assert (finance["status"], finance["days_late"], finance["deadline"]) == ("late", 5, "2024-01-31")
    # Lists: one cell, the documented separator; an item holding it has it percent-encoded.
    assert education["source_urls"].split("|") == [URL_WITH_BAR.replace("|", "%7C")]
    assert str(culture["copies"]) == str(education["report_id"]) and pd.isna(town["copies"])
    assert town["failed_checks"].split("|") == FAILED


def test_csv_for_excel_has_a_bom_and_crlf_and_the_same_content(exported):
    raw = exported["excel"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n") == 5  # header and four reports
    plain = pd.read_csv(exported["csv"], dtype=str)
    excel = pd.read_csv(exported["excel"], dtype=str, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(plain, excel)


def test_every_column_name_works_unquoted_in_sqlite(exported):
    with open(exported["csv"], encoding="utf-8", newline="") as f:
        header, *records = list(csv.reader(f))
    reserved = {w.lower() for words in (SQL_STANDARD, POSTGRESQL, MYSQL, MSSQL, SQLiteIdentifierPreparer.reserved_words)
                for w in words}
    assert not reserved & {c.name for c in ALL}
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE reports ({', '.join(header)})")  # unquoted: a dotted name would be a syntax error
    db.executemany(f"INSERT INTO reports VALUES ({', '.join('?' * len(header))})", records)
    found = db.execute("SELECT agency, province_name, county_name, active_fees_amount_10k_yuan, "
                       "active_procurement_amount_10k_yuan, active_licensing_change, "
                       "applications_new_received_total FROM reports WHERE year = '2020' OR agency = '甲市财政局' "
                       "ORDER BY year").fetchall()
    assert [row[:6] for row in found] == [("乙县丙镇", "浙江省", "乙县", "", "25.1", "-3"),
                                          ("甲市财政局", "浙江省", "", "40.35", "", "")]
    assert all(row[6].isdigit() for row in found)


def test_parquet_is_typed(exported):
    table = pq.read_table(exported["parquet"])
    types = {f.name: str(f.type) for f in table.schema}
    assert list(types) == [c.name for c in columns(Export.PARQUET)]
    assert (types["report_id"], types["agency_id"], types["parent_id"], types["year"]) == ("int64",) * 4
    assert (types["published"], types["deadline"], types["first_seen"]) == (
        "date32[day]", "date32[day]", "timestamp[us, tz=UTC]")
    assert types["active_fees_amount_10k_yuan"] == types["active_procurement_amount_10k_yuan"] == "decimal128(18, 6)"
    assert types["applications_new_received_total"] == types["active_licensing_change"] == "int64"
    assert types["failed_checks"] == types["source_urls"] == "list<element: string>"
    assert all(types[f"section_{key}"] == "string" for key in SECTION_KEYS)
    field = table.schema.field("applications_new_received_total")
    assert field.metadata[b"schema_key"] == b"applications.new_received.total"
    rows = by_agency(table.to_pylist())
    finance, town = rows["甲市财政局"], rows["乙县丙镇"]
    assert finance["published"] == dt.date(2024, 2, 5) and finance["deadline"] == dt.date(2024, 1, 31)
    assert finance["first_seen"].tzinfo is not None
    assert finance["active_fees_amount_10k_yuan"] == Decimal("40.35")
    assert (finance["active_licensing_decisions"], finance["active_punishment_decisions"]) == (0, None)  # 0 ≠ blank
    assert town["active_procurement_amount_10k_yuan"] == Decimal("25.1") and town["active_licensing_change"] == -3
    assert town["active_regulations_issued"] is None and finance["active_regulations_new_made"] is None  # forms
    assert finance["section_overview"] and finance["division_code"] == "330100"
    assert types["applications_granted_research"] == "decimal128(18, 6)"
    assert town["applications_granted_research"] == Decimal("2.5")
    assert finance["applications_granted_research"] == Decimal(finance["applications_granted_research"]).to_integral()
    assert rows["乙县教育局"]["source_urls"] == [URL_WITH_BAR] and town["failed_checks"] == FAILED
    education, culture = rows["乙县教育局"], rows["西湖区文化局"]
    assert culture["copies"] == [education["report_id"]] and town["copies"] == []  # S5, kept apart
    assert not [c for r in rows.values() for c in r["failed_checks"] if c.startswith("S5")]
    assert types["copies"] == "list<element: int64>"
    # pandas, as it reads by default, keeps a count with blanks an integer (nullable), not a float
    frame = pd.read_parquet(exported["parquet"])
    assert str(frame["active_punishment_decisions"].dtype) == "Int64"
    assert str(frame["active_regulations_issued"].dtype) == "Int64" and frame["active_regulations_issued"].isna().any()
    assert str(frame["report_id"].dtype) == "Int64" and frame.set_index("agency").loc["乙县丙镇", "year"] == 2020


def test_jsonl_has_prose_lists_and_ids(exported):
    records = by_agency([json.loads(line) for line in exported["jsonl"].read_text("utf-8").splitlines()])
    assert len(records) == 4
    town = records["乙县丙镇"]
    assert list(town) == [c.name for c in columns(Export.JSONL)]
    assert town["template"] == "2019" and town["published"] == "2021-02-20" and town["year"] == 2020
    assert all(isinstance(town[f"section_{key}"], str) and town[f"section_{key}"] for key in SECTION_KEYS)
    assert town["failed_checks"] == FAILED and town["source_urls"] == ["http://yx.gov.cn/bz.html"]
    assert isinstance(town["report_id"], int) and isinstance(town["agency_id"], int)
    assert town["active_procurement_amount_10k_yuan"] == 25.1
    ids = {name: (r["report_id"], r["version_id"], r["agency_id"]) for name, r in records.items()}
    in_csv = pd.read_csv(exported["csv"]).set_index("agency")
    in_parquet = by_agency(pq.read_table(exported["parquet"]).to_pylist())
    assert len({i for i, _, _ in ids.values()}) == 4  # the same ids in every format
    assert ids == {name: tuple(int(in_csv.loc[name, k]) for k in ("report_id", "version_id", "agency_id"))
                   for name in ids}
    assert ids == {name: (r["report_id"], r["version_id"], r["agency_id"]) for name, r in in_parquet.items()}


def test_the_dictionary_covers_every_exported_column():
    entries = json.loads(dictionary.as_json())
    names = [e["name"] for e in entries]
    for fmt in Export:
        assert {c.name for c in columns(fmt)} <= set(names)
    assert len(names) == len(set(names)) == len(ALL)
    for e in entries:
        assert e["meaning_zh"] and e["meaning_en"] and e["parquet_type"] and e["forms"], e["name"]
    fields = {e["schema_key"]: e for e in entries if e["schema_key"]}
    assert set(fields) == set(field_keys("2021")) | set(field_keys("2019"))
    assert all(schema_key(e["name"]) == key for key, e in fields.items())  # the mapping back to schema keys
    assert fields["active.fees.amount_10k_yuan"]["unit"] == "万元 (10,000 yuan)"
    assert fields["active.regulations.issued"]["forms"] == "2021"
    assert fields["active.regulations.new_made"]["forms"] == "2019"
    assert fields["applications.granted.total"]["across_forms"] == "same field in both forms"
    assert "applications_other_overdue_fee_total" in fields["applications.other.total"]["across_forms"]
    assert fields["active.regulations.new_made"]["across_forms"] == \
        "nearest 2021 field: active_regulations_issued (本年制发件数)"
    assert "2021" in fields["applications.other.total"]["forms"] and fields["applications.other.total"]["forms"] \
        .startswith("2019")
    assert all(c.unit for c in FIELDS)


def test_the_committed_data_dictionary_is_the_generated_one():
    done = nianbao("export", "--dictionary")
    assert done.returncode == 0, done.stderr
    assert (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8") == done.stdout, \
        "docs/data-dictionary.md is stale: nianbao export --dictionary > docs/data-dictionary.md"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_dictionary_in_csv_and_json(fmt):
    done = nianbao("export", "--dictionary", "--format", fmt)
    assert done.returncode == 0, done.stderr
    if fmt == "json":
        names = [e["name"] for e in json.loads(done.stdout)]
    else:
        names = [r["name"] for r in csv.DictReader(io.StringIO(done.stdout))]
    assert names == [c.name for c in ALL]


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "jsonl", "--excel"], "--excel applies to --format csv only"),
    (["--format", "parquet"], "--format parquet needs --output FILE"),
    (["--format", "md"], "--format md is not a format of an export: choose csv, jsonl, parquet"),
    (["--dictionary", "--format", "parquet"], "--format parquet is not a format of --dictionary: choose md, csv, json"),
    ([], "--format is required: csv, jsonl or parquet (or --dictionary for the data dictionary)"),
])
def test_bad_argument_combinations_are_one_line_and_exit_2(tmp_path, args, message):
    done = nianbao("export", *args, "--db", str(tmp_path / "a.sqlite"), "--data", str(tmp_path / "data"),
                   cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"nianbao export: {message}\n")
    assert list(tmp_path.iterdir()) == []  # no archive was created


def test_the_dictionary_needs_no_archive(tmp_path):
    done = nianbao("export", "--dictionary", "--format", "json", "--output", str(tmp_path / "d.json"), cwd=tmp_path)
    assert done.returncode == 0 and json.loads((tmp_path / "d.json").read_text("utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]


def test_coverage_names_and_joins_failed_checks_as_the_export_does(exported):
    done = nianbao("coverage", "--year", "2020", "--format", "csv", "--db", str(exported["archive"]), "--data",
                   str(exported["data"]))
    assert done.returncode == 0, done.stderr
    rows = by_agency(list(csv.DictReader(io.StringIO(done.stdout))))
    exported_rows = by_agency(pd.read_csv(exported["csv"]).to_dict("records"))
    assert rows["乙县丙镇"]["failed_checks"] == exported_rows["乙县丙镇"]["failed_checks"] == "|".join(FAILED)


def test_parquet_in_batches_is_the_same_file_content(exported, tmp_path):
    """Rows go through a spool in batches; one row per batch (the fraction in a later batch than the first) gives
    the table the command wrote."""
    arc = open_archive(str(exported["archive"]), exported["data"])
    with arc.reader.connect() as conn:
        assert write_parquet(rows(conn), tmp_path / "one.parquet", batch=1) == 4
    arc.engine.dispose()
    assert pq.read_table(tmp_path / "one.parquet").equals(pq.read_table(exported["parquet"]), check_metadata=True)
    assert [p.name for p in tmp_path.iterdir()] == ["one.parquet"]  # the spool is gone

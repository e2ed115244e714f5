"""Hostile content (issue 19 §3, §4, §6): pages that look like reports and are not, broken encodings, impossible
years and numbers, formulas and look-alike addresses, damaged or read-only archives. Inputs are generated here, from
a fixture report or from scratch; each must give a correct result or a recorded, named error — never a false
report, a guess, a crash or a traceback."""
from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from archive.export.columns import column_name
from archive.ingest import ingestor as ingest
from archive.ingest.identity import canonical_value, normalise_agency
from archive.ingest.ingestor import Capture, Ingestor
from archive.store.db import open_archive
from crawler.cli import main as nianbao
from crawler.discovery.recognise import judge_title
from crawler.fetch.middlewares import HostGuard
from crawler.spiders.reports import _title_year
from pipelines.checks import run_checks
from pipelines.classify import NO_BODY
from pipelines.decoding import decode
from pipelines.extract import extract
from pipelines.metadata import agency_from_title, report_year
from pipelines.schema import field_keys
from pipelines.values import LARGEST, parse
from sandbox import synthetic
from sandbox.documents import tables
from sandbox.evaluate import archived_reports
from sandbox.reports.layout import title_lines
from sandbox.synthetic import T0, capture, ingestor
from sandbox.table_image import table_png
from tests.support import ROOT
from tests.support.pictures import SPECS, needs_font, needs_ocr

FIXTURE = ROOT / "tests" / "fixtures" / "docs" / "gen01-2021.html"  # 盐池县文化和旅游局, 2022
TITLE = "岚皋县行政审批服务局2023年政府信息公开工作年度报告"


def page(title: str, body: str, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_岚皋县人民政府</title></head><body>'
            f'<div class="nav">首页 &gt; 信息公开 &gt; 政府信息公开年报</div><h1>{title}</h1>'
            f'<div class="content">{body}</div><div class="footer">主办：岚皋县人民政府办公室 ICP备案号</div>'
            f"</body></html>")


# §3 — a report's title over a body that is not a report ---------------------------------------------------------
HOLLOW_BODIES = [
    "<p>页面正在建设中</p>", "<h2>404 页面不存在</h2><p>您访问的页面不存在或已被删除。</p>", "",
    "<p>该信息已过期</p>", "<p>内容正在审核，请稍后访问。</p>", "<p>&nbsp;</p><p>【打印本页】【关闭窗口】</p>",
    "<p>系统维护中，给您带来不便敬请谅解。</p>",
]


@pytest.mark.parametrize("body", HOLLOW_BODIES)
def test_a_report_title_over_a_hollow_body_is_a_near_miss(body):
    result = extract(page(TITLE, body).encode("utf-8"), "https://lg.gov.cn/t1.html")
    assert not result.is_report and result.reason == NO_BODY
    assert result.fields == {}  # nothing for coverage to count as published


def test_hollow_pages_generated_from_every_title_shape_stay_near_misses():
    rng = random.Random(19)
    agencies = ["岚皋县行政审批服务局", "汉阴县人民政府", "白河县教育体育局", "某市生态环境局"]
    for _ in range(40):
        year = rng.randint(2015, 2025)
        title = rng.choice([f"{rng.choice(agencies)}{year}年政府信息公开工作年度报告",
                            f"{year}年度{rng.choice(agencies)}政府信息公开年报",
                            f"{rng.choice(agencies)}政务信息公开{year}年度报告"])
        body = "".join(rng.sample(HOLLOW_BODIES, 2))
        result = extract(page(title, body).encode("utf-8"), "https://x.gov.cn/t.html")
        assert not result.is_report and result.reason == NO_BODY, title


def test_the_page_announcing_an_attachment_and_a_real_report_stay_reports():
    announcing = page(TITLE, f"<p>{TITLE}已经编制完成，现予以公布。</p><p>详见附件。</p><a href='/P1.pdf'>附件.pdf</a>")
    result = extract(announcing.encode("utf-8"), "https://lg.gov.cn/t2.html")
    assert result.is_report and result.agency == "岚皋县行政审批服务局" and result.year == 2023
    report = extract(FIXTURE.read_bytes(), str(FIXTURE))
    assert report.is_report and report.fields["applications.new_received.natural_person"] == 48


def test_an_imported_hollow_page_leaves_its_agency_missing_in_coverage(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "hollow.html").write_text(page(TITLE, HOLLOW_BODIES[0]), encoding="utf-8")
    db = str(tmp_path / "a.sqlite")
    assert nianbao(["import", str(folder), "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["not_report"] == 1
    # No report, so no agency counted as having published: the hollow page registered no agency, and a coverage
    # that matches nothing says so and exits 2 (issue 18) instead of printing an empty list.
    assert nianbao(["coverage", "--year", "2023", "--format", "json", "--db", db]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no agency in the archive had to publish for 2023" in err


# §3 — a UTF-8 page with a few bad bytes is still UTF-8 ------------------------------------------------------------
@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(0, 1), st.sampled_from([b"\xff", b"\xe4\xb8", b"\x80", b"\xc0"])),
                min_size=1, max_size=3))
def test_a_few_invalid_bytes_do_not_turn_a_utf8_page_into_mojibake(damage):
    data = bytearray(page(TITLE, f"<p>{TITLE}已经编制完成，现予以公布。</p>" * 3).encode("utf-8"))
    for where, junk in damage:
        data[int(where * len(data)):int(where * len(data))] = junk
    text, encoding = decode(bytes(data))
    assert encoding == "utf-8" and "政府信息公开" in text
    assert text.count("\ufffd") <= 4 * len(damage)  # the stray byte, and the character it split


def test_the_damaged_utf8_report_is_still_read_as_a_report():
    data = FIXTURE.read_bytes()
    cut = data.index("政府信息公开".encode(), 2000) + 1  # inside a character: a truncated write
    result = extract(data[:cut] + data[cut + 1:], str(FIXTURE))
    assert result.is_report and result.agency == "盐池县文化和旅游局" and result.year == 2022
    assert result.fields["applications.new_received.natural_person"] == 48


def test_other_encodings_are_not_taken_for_damaged_utf8():
    html = page(TITLE, "<p>本年度报告中使用的统计数据期限为2023年1月1日至12月31日。</p>", "utf-8")
    text, encoding = decode(html.encode("gbk"))
    assert encoding == "gb18030" and TITLE in text
    latin = "<html><body><p>Résumé café naïve</p></body></html>".encode("latin-1")
    assert decode(latin)[1] != "utf-8"


# §3 — numbers posing as years -----------------------------------------------------------------------------------
@pytest.mark.parametrize("number", ["99999", "19999", "2099", "1899", "0", "120231", "9999"])
def test_a_number_that_is_no_year_neither_names_a_year_nor_joins_the_agency(number):
    title = f"岚皋县行政审批服务局{number}年政府信息公开工作年度报告"
    assert agency_from_title(title) == "岚皋县行政审批服务局"
    assert report_year(title, "") is None
    verdict = judge_title(title)
    assert verdict.agency == "岚皋县行政审批服务局" and verdict.year is None
    assert _title_year(f"{number}年度") is None
    result = extract(page(title, f"<p>{title}已经编制完成，现予以公布。</p>").encode("utf-8"), "https://lg.gov.cn/t.html")
    assert result.agency == "岚皋县行政审批服务局" and result.year is None


def test_plausible_years_are_still_read():
    assert report_year("某局2023年政府信息公开工作年度报告", "") == 2023
    assert report_year("某局99999年政府信息公开工作年度报告", "统计期限为2022年1月1日至12月31日") == 2022
    assert _title_year("2024年度") == 2024 and _title_year("2019-2024年") is None


# §4 — numbers ---------------------------------------------------------------------------------------------------
KEY = "applications.new_received.natural_person"
HOSTILE_CELLS = {  # cell text → the value read, or None (then a warning must name the cell)
    "99999999999999999999": None, "9" * 400: None, "1000000001": None, "一百": 100, "两千零五": 2005,
    "壹佰贰拾": 120, "NaN": None, "nan": None, "100%": None, "12 34": None, "inf": None, "-inf": None, "1e5": None,
    "0x10": None, "１２": 12, "48件": 48, "百百": None,
}


def _with_cell(cell: str) -> bytes:
    data = FIXTURE.read_bytes()
    assert data.count(b">48<") == 1
    return data.replace(b">48<", f">{cell}<".encode())


@pytest.mark.parametrize(("cell", "expected"), HOSTILE_CELLS.items(), ids=[c[:20] for c in HOSTILE_CELLS])
def test_a_hostile_cell_is_read_or_null_with_a_warning_naming_it(cell, expected):
    result = extract(_with_cell(cell), "hostile.html")
    assert result.is_report and result.fields[KEY] == expected
    named = [w for w in result.warnings if w.startswith(f"{KEY}: ")]
    assert bool(named) == (expected is None), result.warnings
    assert result.fields["applications.new_received.total"] == 57  # the row's other cells stay in place
    json.dumps(result.as_dict(), allow_nan=False)  # standard JSON


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet="0123456789.,+-eE% 　一二三四五六七八九十百千万亿零两壹佰仟点负元件NaIinf", max_size=30))
def test_parse_never_raises_and_never_returns_what_a_report_cannot_hold(cell):
    value = parse(cell)
    assert value.number is None or abs(value.number) <= LARGEST
    assert value.ok or (value.number is None and value.problem)


@pytest.mark.parametrize("digits", [11, 400, 5000])  # 4,300 digits and more cannot even become an int
def test_a_number_in_the_prose_that_no_report_holds_is_not_compared(digits):
    prose = "本年度共收到政府信息公开申请" + "9" * digits + "件。"
    assert not [c for c in run_checks({"applications.new_received.total": 9}, "2021", prose) if c.rule == "S3"]
    assert [c.ok for c in run_checks({"applications.new_received.total": 9}, "2021", "共收到申请9件。")
            if c.rule == "S3"] == [True]


def test_extract_json_is_standard_json(tmp_path, capsys):
    path = tmp_path / "r.html"
    path.write_bytes(_with_cell("9" * 400))
    assert nianbao(["extract", "--json", str(path)]) == 0
    strict = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert strict["fields"][KEY] is None


def _strict_lines(path: Path) -> list[dict]:
    return [json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in JSONL"))
            for line in path.read_text("utf-8").splitlines()]


def test_exports_never_fail_on_a_value(tmp_path, capsys):
    """Values read now are bounded; an archive written before (400-digit integers, infinities) exports too."""
    db, data = str(tmp_path / "a.sqlite"), tmp_path / "data"
    arc = open_archive(db, data)
    old = synthetic.report("白河县", 2023)
    old.fields = {**old.fields, KEY: 10 ** 400, "applications.new_received.total": float("inf"),
                  "applications.granted.total": float("nan"), "applications.granted.natural_person": -(2 ** 70)}
    ingestor(arc).ingest(capture("https://bh.gov.cn/r.html"), synthetic.body(old), old)
    folder = tmp_path / "in"
    folder.mkdir()
    for n, cell in enumerate(HOSTILE_CELLS):
        (folder / f"r{n}.html").write_bytes(_with_cell(cell))
    assert nianbao(["import", str(folder), "--db", db, "--data", str(data)]) == 0
    capsys.readouterr()
    for fmt in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"reports.{fmt}"
        assert nianbao(["export", "--format", fmt, "--output", str(out), "--db", db, "--data", str(data)]) == 0
    rows = {r["agency"]: r for r in _strict_lines(tmp_path / "reports.jsonl")}
    key = column_name(KEY)  # the export's names for the schema keys (issue 18)
    assert rows["白河县"][key] is None and rows["白河县"]["applications_new_received_total"] is None
    assert rows["白河县"]["applications_granted_natural_person"] is None
    table = pq.read_table(tmp_path / "reports.parquet").to_pylist()
    assert {r["agency"] for r in table} == set(rows) and all(r[key] is None or r[key] <= LARGEST for r in table)
    assert len((tmp_path / "reports.csv").read_text("utf-8").splitlines()) == len(rows) + 1


# §6 — formulas, look-alike characters and addresses -------------------------------------------------------------
FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


def test_cli_csv_exports_neutralise_formulas(tmp_path, capsys):
    db, data = str(tmp_path / "a.sqlite"), tmp_path / "data"
    arc = open_archive(db, data)
    ing = ingestor(arc)
    for n, name in enumerate(FORMULAS):
        r = synthetic.report(name, 2023, title=f"{name}2023年政府信息公开工作年度报告")
        ing.ingest(capture(f"https://f{n}.gov.cn/r.html"), synthetic.body(r), r)
    out = tmp_path / "reports.csv"
    assert nianbao(["export", "--format", "csv", "--output", str(out), "--db", db, "--data", str(data)]) == 0
    assert nianbao(["coverage", "--year", "2023", "--format", "csv", "--db", db, "--data", str(data)]) == 0
    coverage_csv = capsys.readouterr().out
    for rows in (list(csv.reader(out.read_text("utf-8").splitlines())), list(csv.reader(coverage_csv.splitlines()))):
        cells = [cell for row in rows[1:] for cell in row]
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t"))]
        assert sum(c.startswith("'") for c in cells) >= len(FORMULAS)


def test_agency_names_keep_their_full_width_formula_characters():
    assert normalise_agency("＝HYPERLINK(\"x\")某局") == "＝HYPERLINK(\"x\")某局"
    assert normalise_agency("＋某局　办公室") == "＋某局办公室" and normalise_agency("＠某－局") == "＠某－局"
    assert normalise_agency("Ａ县 人民政府") == "A县人民政府"  # the rest of NFKC still applies


@pytest.mark.parametrize(("address", "private"), [
    ("100.100.100.200", True), ("100.64.0.1", True), ("100.127.255.254", True), ("100.128.0.1", False),
    ("2002:a00:1::1", True), ("2002:c0a8:101::", True), ("2002:6464:64c8::", True), ("2002:7f00:1::", True),
    ("2002:808:808::1", False), ("::ffff:10.0.0.1", True), ("64:ff9b::a00:1", True), ("122.137.242.24", False),
])
def test_host_guard_knows_carrier_grade_nat_and_6to4(address, private):
    guard = HostGuard([".gov.cn"], allow_private=False)
    assert guard.allowed(address, {address}) is not private


# §6 — read-only and damaged archives ----------------------------------------------------------------------------
def _archive(tmp_path: Path) -> tuple[str, Path]:
    """An archive of one report, written by a process that has ended (which leaves no -wal or -shm file)."""
    db, data = tmp_path / "arc" / "archive.sqlite", tmp_path / "arc"
    subprocess.run([sys.executable, "-m", "crawler.cli", "import", str(FIXTURE), "--db", str(db)], cwd=ROOT,
                   check=True, capture_output=True, timeout=120)
    return str(db), data


READ_ONLY_PROBE = """
import sys
from fastapi.testclient import TestClient
from archive.web.app import create_app
from archive.web.db import open_read_only
from archive.web.service import Dashboard
client = TestClient(create_app(Dashboard(open_read_only(sys.argv[1]))), base_url="http://127.0.0.1")
page = client.get("/")
csv = client.get("/api/coverage.csv", params={"year": 2022})
print(page.status_code, csv.status_code, "盐池县文化和旅游局" in csv.text)
"""


def _read_only(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """Run `argv` with `folder` not writable: a read-only bind mount as root (who writes through permissions),
    permissions otherwise."""
    if os.geteuid() != 0:
        for path in (folder, *folder.rglob("*")):
            path.chmod(0o555 if path.is_dir() else 0o444)
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)
    mount = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"{mount} && ! touch {folder}/probe"], capture_output=True,
                           text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"no read-only bind mount here: {probe.stderr.strip()}")
    return subprocess.run(["unshare", "-m", "sh", "-c", f'{mount} && exec "$@"', "sh", *argv], capture_output=True,
                          text=True, timeout=120)


def test_a_read_only_archive_is_served(tmp_path):
    db, data = _archive(tmp_path)
    assert not Path(db + "-wal").exists() and not Path(db + "-shm").exists()
    done = _read_only(data, [sys.executable, "-c", READ_ONLY_PROBE, db])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "200", "True"]


def _damaged(tmp_path: Path, how: str) -> str:
    db = str(tmp_path / "archive.sqlite")
    assert nianbao(["import", str(FIXTURE), "--db", db]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        index_page = conn.execute("SELECT pageno FROM dbstat WHERE name = 'ix_reports_year'").fetchone()[0]
    data = bytearray(Path(db).read_bytes())
    rng = random.Random(how)
    if how == "not a database":
        data[:100] = bytes(rng.randrange(256) for _ in range(100))
    elif how == "index page":  # opens and migrates fine: only a full check sees it
        offset = (index_page - 1) * page_size
        data[offset + 8:offset + 40] = bytes(range(200, 232))
    else:  # random damage on every page after the schema's
        for offset in range(2 * page_size, len(data), page_size):
            data[offset + 100:offset + 400] = bytes(rng.randrange(256) for _ in range(300))
    Path(db).write_bytes(bytes(data))
    return db


@pytest.mark.parametrize("how", ["not a database", "index page", "every page"])
def test_a_damaged_database_gives_one_clear_message(tmp_path, how, capsys):
    db = _damaged(tmp_path, how)
    capsys.readouterr()
    before = Path(db).read_bytes()
    commands = [["import", str(ROOT / "tests" / "fixtures" / "docs" / "gen02-2021.html")],
                ["export", "--format", "csv"]]
    if how != "index page":  # which open, migrate and read fine: only a full check sees the damage
        commands.append(["coverage", "--year", "2022"])
    for command in commands:
        assert nianbao([*command, "--db", db]) == 3, command
        err = capsys.readouterr().err
        assert err.startswith(f"nianbao: the archive database {db} is damaged") and err.count("\n") == 1, err
    assert Path(db).read_bytes() == before  # import wrote nothing into it
    if how == "not a database":  # the dashboard too, as a command: no traceback on its way out
        done = subprocess.run([sys.executable, "-m", "crawler.cli", "serve", "--port", "1", "--db", db],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 3 and done.stderr.startswith("nianbao: the archive database"), done.stderr
        assert "Traceback" not in done.stderr


def test_a_corrupt_blob_gives_one_clear_message(tmp_path, monkeypatch, capsys):
    db, data = _archive(tmp_path)
    [blob] = [p for p in (data / "blobs").rglob("*") if p.is_file()]
    blob.write_bytes(blob.read_bytes().replace(b"48", b"84", 1))
    capsys.readouterr()
    monkeypatch.setattr(ingest, "current_extractor", lambda: (extract, "reparse-test"))
    assert nianbao(["reparse", "--db", db]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"nianbao: blob {blob.name} is corrupt on disk") and err.count("\n") == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM extractions WHERE parser_version = 'reparse-test'").fetchone() == (0,)


@needs_ocr
@needs_font
def test_a_page_of_nothing_but_table_pictures_is_still_read_with_them(tmp_path):
    """A report's title over pictures alone is no report by itself, but once its pictures are archived (before or
    after it) the page is read with them."""
    spec = SPECS["seed 1"]
    title = "".join(title_lines(spec))
    imgs = "".join(f'<p><img src="table{n + 1}.png"></p>' for n in range(len(tables(spec))))
    url = "https://www.example.gov.cn/art/2024/1/1/art_1_1.html"
    page_bytes = page(title, imgs).encode("utf-8")
    assert extract(page_bytes, url).reason == NO_BODY
    arc = open_archive(str(tmp_path / "a.sqlite"), tmp_path / "data")
    pictures = [(Capture(f"https://www.example.gov.cn/art/2024/1/1/table{n + 1}.png", T0, "run-1", referrer=url),
                 table_png(t), None) for n, t in enumerate(tables(spec))]
    listed = Capture(url, T0, "run-1", year_hint=spec.year)  # the title says no year: the listing does
    Ingestor(arc, "run-1").ingest_many(pictures)  # the pictures first, on their own (another worker, an earlier run)
    Ingestor(arc, "run-1").ingest_many([(listed, page_bytes, None)])
    (fields,) = archived_reports(arc).values()
    assert sum(canonical_value(fields.get(k)) == canonical_value(spec.values[k])
               for k in field_keys(spec.template)) == len(field_keys(spec.template))

"""The sandbox report renderer: every format draws the national tables' structure, variants keep or break the
consistency rules exactly as recorded, and rendering is deterministic."""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import lxml.html
import openpyxl
import pdfplumber
import pytest
import xlrd
from docx import Document

from pipelines.schema import (
    APPLICANT_COLUMNS,
    APPLICANT_SUBCOLUMNS,
    APPLICATION_ROWS,
    RESULT_LEAVES,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    application_keys,
    field_keys,
    national_labels,
    review_keys,
)
from sandbox.reports.excel_book import SheetStyle
from sandbox.reports.html_page import DATE_STYLES, EDITORS, ENCODINGS, HtmlStyle
from sandbox.reports.labels import QUIRKS, apply_quirks
from sandbox.reports.layout import applications_table
from sandbox.reports.render import Request, render_all, render_direct
from sandbox.reports.seeds import seed_specs
from sandbox.reports.spec import ReportSpec
from sandbox.reports.text_doc import TextStyle
from sandbox.reports.variants import RULES, VALUE_QUIRKS, Plan, variant
from sandbox.reports.word_doc import KINGSOFT_BUILD
from tests.build_fixtures import golden_text
from tests.support import FIXTURES, SEED_REPORTS

SEEDS = seed_specs()
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def spec_2021() -> ReportSpec:
    return variant(SEEDS[0], Plan(101, "2021", 2023))


def spec_2019() -> ReportSpec:
    return variant(SEEDS[2], Plan(102, "2019", 2020, label_quirks=("line_breaks",), value_quirks=("amount_yuan",)))


# --- an independent reading of the rules (not the extractor's) ---------------------------------------------------

def broken_rules(spec: ReportSpec) -> list[str]:
    """R1–R4 of domain.md §3 evaluated where every operand is a number (a blank proves nothing)."""
    v, t = spec.values, spec.template

    def fails(lhs: list, rhs: list) -> bool:
        return None not in lhs + rhs and sum(lhs) != sum(rhs)

    a = lambda row, col: v[f"applications.{row}.{col}"]  # noqa: E731
    found = set()
    for col in APPLICANT_COLUMNS:
        if fails([a("new_received", col), a("carried_over", col)],
                 [a("total_processed", col), a("carried_forward", col)]):
            found.add("R1")
        if fails([a("total_processed", col)], [a(leaf, col) for leaf in RESULT_LEAVES[t]]):
            found.add("R2")
    for row in APPLICATION_ROWS[t]:
        if fails([a(row, "total")], [a(row, col) for col in APPLICANT_SUBCOLUMNS]):
            found.add("R3")
    for group in REVIEW_GROUPS:
        if fails([v[f"{group}.total"]], [v[f"{group}.{col}"] for col in REVIEW_COLUMNS[:-1]]):
            found.add("R4")
    return sorted(found)


# --- specs ---------------------------------------------------------------------------------------------------------

def test_five_seed_specs_round_trip():
    assert sorted(SEEDS) == [0, 1, 2, 3, 4]
    for n, spec in SEEDS.items():
        assert ReportSpec.from_json(spec.to_json()) == spec
        assert list(spec.values) == field_keys(spec.template), n
        assert all(v is None or isinstance(v, (int, float)) for v in spec.values.values())
        assert set(spec.labels) <= set(national_labels(spec.template)) | {"caption.active", "caption.applications"}


def test_seed_facts_as_read():
    assert [(s.agency, s.year, s.template) for s in SEEDS.values()] == [
        ("岚皋县行政审批服务局", 2023, "2021"), ("泽州县行政审批服务管理局", 2021, "2021"),
        ("安康市行政审批服务局", 2020, "2019"), ("盐池县审批服务管理局", 2023, "2021"),
        ("临淄区行政审批服务局", 2023, "2021")]
    assert SEEDS[0].values["active.licensing.decisions"] == 4277
    assert SEEDS[1].values["active.fees.amount_10k_yuan"] == 24457.4
    assert SEEDS[2].cells["active.licensing.change"] == "+57" and SEEDS[2].values["active.licensing.change"] == 57
    assert SEEDS[2].values["active.procurement.amount_10k_yuan"] == 40.35
    assert SEEDS[2].cover_letter and all(SEEDS[2].values[k] is None for k in SEEDS[2].absent)
    assert SEEDS[3].values["active.normative_docs.issued"] == 1
    assert SEEDS[4].values["active.licensing.decisions"] == 23269
    assert all(broken_rules(s) == s.broken_rules == [] for s in SEEDS.values())


def test_validate_refuses_an_incomplete_spec():
    spec = spec_2021()
    del spec.cells["review.total"]
    with pytest.raises(ValueError, match="cells"):
        spec.validate()


# --- HTML ----------------------------------------------------------------------------------------------------------

def expand(table) -> list[list[tuple[str, object]]]:
    """An HTML table as a grid of (text, cell element), rowspans and colspans expanded."""
    grid: dict[tuple[int, int], tuple[str, object]] = {}
    for r, tr in enumerate(table.xpath("./tbody/tr|./tr")):
        c = 0
        for td in tr.xpath("./td|./th"):
            while (r, c) in grid:
                c += 1
            text = "\n".join(t.strip() for t in td.xpath(".//p//text()|./text()|.//strong//text()")).strip() \
                if td.xpath(".//p") else td.text_content().replace("\xa0", "").strip()
            for dr in range(int(td.get("rowspan", 1))):
                for dc in range(int(td.get("colspan", 1))):
                    grid[(r + dr, c + dc)] = (text.replace("\xa0", "").strip(), td)
            c += int(td.get("colspan", 1))
    rows, cols = max(r for r, _ in grid) + 1, max(c for _, c in grid) + 1
    assert len(grid) == rows * cols, "the table is not a full rectangle"
    return [[grid[(r, c)] for c in range(cols)] for r in range(rows)]


def data_tables(page: bytes, encoding: str = "utf-8"):
    doc = lxml.html.document_fromstring(page.decode(encoding))
    # Report tables are the bordered ones; a layout template's tables have border="0".
    return [t for t in doc.xpath("//table") if t.get("border") != "0" and not t.xpath(".//table")]


@pytest.mark.parametrize("editor", EDITORS)
@pytest.mark.parametrize("make", [spec_2021, spec_2019])
def test_html_tables_have_the_official_structure(editor, make):
    spec = make()
    active, apps, review = data_tables(render_direct(spec, "html", HtmlStyle(editor)))
    n_leaves = len(RESULT_LEAVES[spec.template])
    grid = expand(apps)
    assert (len(grid), len(grid[0])) == (3 + len(APPLICATION_ROWS[spec.template]), 10)
    note = grid[0][0][1]
    assert (note.get("rowspan"), note.get("colspan")) == ("3", "3")
    assert grid[0][3][1].get("colspan") == "7" and grid[1][4][1].get("colspan") == "5"
    assert grid[1][3][1].get("rowspan") == "2" and grid[1][9][1].get("rowspan") == "2"
    results = grid[5][0][1]
    assert results.get("rowspan") == str(n_leaves + 1)  # the leaves and （七）总计
    spans = {grid[r][1][0].replace("\n", ""): grid[r][1][1].get("rowspan") for r in range(5, 5 + n_leaves)}
    assert spans["（三）不予公开"] == "8" and spans["（四）无法提供"] == "3" and spans["（五）不予处理"] == "5"
    assert spans.get("（六）其他处理") == ("3" if spec.template == "2021" else None)
    data = [grid[r][c][0] for r in range(3, len(grid)) for c in range(3, 10)]
    assert len(data) == (175 if spec.template == "2021" else 161)
    assert data == [spec.cells[k] for k in application_keys(spec.template)]

    rgrid = expand(review)
    assert [rgrid[0][0][1].get("colspan"), rgrid[0][5][1].get("colspan")] == ["5", "10"]
    assert all(rgrid[1][c][1].get("rowspan") == "2" for c in range(5))
    assert [rgrid[3][c][0] for c in range(15)] == [spec.cells[k] for k in review_keys()]
    agrid = expand(active)
    values = [row[1][0] for row in agrid if row[0][0] == "行政许可"]
    assert values == [spec.cells["active.licensing.decisions" if spec.template == "2021"
                                 else "active.licensing.prev_year_items"]]


def test_html_page_chrome_and_meta():
    spec = spec_2021()
    page = render_direct(spec, "html", HtmlStyle("plain", date_style="datetime")).decode("utf-8")
    doc = lxml.html.document_fromstring(page)
    meta = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert meta["ArticleTitle"] == spec.title and meta["ContentSource"] == spec.agency
    assert meta["PubDate"].startswith(spec.published) and len(meta["SiteIDCode"]) == 10
    assert f"发布时间：{spec.published} " in page and f"网站标识码：{meta['SiteIDCode']}" in page
    y, m, d = spec.published.split("-")
    assert f"{y}年{m}月{d}日" in render_direct(spec, "html", HtmlStyle(date_style="chinese")).decode()
    assert "发布日期" not in render_direct(replace(spec, published=None), "html").decode()
    assert set(DATE_STYLES) == {"date", "datetime", "chinese"}


def test_word_pasted_html_has_word_debris():
    page = render_direct(SEEDS[2], "html", HtmlStyle("word")).decode()
    assert 'class="MsoNormal"' in page and "&nbsp;" in page and "<o:p>" in page
    assert "<td" in page and "<p class=\"MsoNormal\" align=\"center\"" in page
    assert "商业</span></p><p" in page  # a label broken into lines is several paragraphs in one cell


@pytest.mark.parametrize("encoding", ENCODINGS[1:])
def test_gbk_pages_declare_wrongly_or_not_at_all(encoding):
    spec = SEEDS[0]
    utf8 = render_direct(spec, "html", HtmlStyle("plain"))
    page = render_direct(spec, "html", HtmlStyle("plain", encoding))
    with pytest.raises(UnicodeDecodeError):
        page.decode("utf-8")
    assert page.decode("gb18030") == utf8.decode("utf-8").replace('<meta charset="utf-8">', {
        "gbk-declared-utf-8": '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        "gbk-declared-latin1": '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
        "gbk-undeclared": ""}[encoding])


def test_layout_template_wraps_the_article_in_tables():
    page = render_direct(SEEDS[1], "html", HtmlStyle("layout"))
    doc = lxml.html.document_fromstring(page.decode())
    outer = doc.xpath("//body/table")[0]
    assert outer.get("border") == "0" and len(outer.xpath(".//table[@border='1']")) == 3
    assert "&lt;b&gt;第二十条第（六）项&lt;/b&gt;" in page.decode()  # seed 001's debris is printed, not markup


# --- text ----------------------------------------------------------------------------------------------------------

def test_text_renderings_look_like_the_seeds():
    cells = render_direct(SEEDS[0], "text", TextStyle("cells")).decode()
    assert ("\t（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\n\t申请人情况\n\n\t\n\t自然人\n"
            in cells)
    rows = render_direct(SEEDS[3], "text", TextStyle("rows")).decode()
    assert "行政许可\t5147\t\t\n" in rows and "\n0" + "\t0" * 14 + "\n" in rows
    seed = next(SEED_REPORTS.glob("000_*.txt"))
    # The Word-copy rendering of seed 000 reproduces its tables line for line (blank lines aside).
    tables = lambda text: [line for line in text.split("二、主动公开政府信息情况\n")[1].split("五、")[0]  # noqa: E731
                           .split("\n") if line]
    assert tables(cells) == tables(seed.read_text(encoding="utf-8"))


# --- DOCX and XLSX -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [spec_2021, spec_2019])
def test_docx_has_real_merges(make):
    spec = make()
    doc = Document(io.BytesIO(render_direct(spec, "docx")))
    _active, apps, review = doc.tables
    rows = APPLICATION_ROWS[spec.template]
    assert len(apps.rows) == 3 + len(rows)
    assert apps.cell(0, 0)._tc is apps.cell(2, 2)._tc  # the note: three rows by three columns
    assert apps.cell(0, 3)._tc is apps.cell(0, 9)._tc
    assert apps.cell(5, 0)._tc is apps.cell(5 + len(RESULT_LEAVES[spec.template]), 0)._tc  # 三、本年度办理结果
    assert apps.cell(7, 1)._tc is apps.cell(14, 1)._tc  # （三）不予公开 over its eight sub-rows
    xml = apps._tbl.xml
    assert 'w:gridSpan w:val="3"' in xml and "w:vMerge" in xml
    assert [apps.cell(3 + i, 3 + j).text for i in range(len(rows)) for j in range(7)] == \
        [spec.cells[k] for k in application_keys(spec.template)]
    assert review.cell(0, 0)._tc is review.cell(0, 4)._tc and review.cell(1, 0)._tc is review.cell(2, 0)._tc
    assert [review.cell(3, c).text for c in range(15)] == [spec.cells[k] for k in review_keys()]
    assert doc.core_properties.title == spec.title


@pytest.mark.parametrize("per_table", [False, True])
def test_xlsx_has_merged_ranges_and_numbers(per_table):
    spec = spec_2019()
    wb = openpyxl.load_workbook(io.BytesIO(render_direct(spec, "xlsx", SheetStyle(per_table))))
    assert len(wb.worksheets) == (3 if per_table else 1)
    merged = {str(r) for ws in wb.worksheets for r in ws.merged_cells.ranges}
    ws = wb.worksheets[1] if per_table else wb.active
    top = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").startswith("（本列"))
    assert f"A{top}:C{top + 2}" in merged and f"D{top}:J{top}" in merged and f"E{top + 1}:I{top + 1}" in merged
    assert ws.cell(top + 3, 4).value == spec.values["applications.new_received.natural_person"]
    assert isinstance(ws.cell(top + 3, 10).value, int)
    assert any(str(c.value).endswith("元") for row in wb.worksheets[0].iter_rows() for c in row if c.value)


# --- LibreOffice formats -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def converted() -> dict[str, bytes]:
    spec = SEEDS[2]
    names = ["pdf", "doc", "wps", "xls", "pdf-again", "doc-again", "xls-again"]
    requests = [Request(spec, n.split("-")[0], SheetStyle() if n.startswith("xls") else None) for n in names]
    return dict(zip(names, render_all(requests)))


def test_pdf_splits_the_applications_table_across_pages(converted):
    with pdfplumber.open(io.BytesIO(converted["pdf"])) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    assert len(texts) >= 2
    page_of = lambda needle: next(i for i, t in enumerate(texts) if needle in t.replace(" ", ""))  # noqa: E731
    assert page_of("一、本年新收政府信息公开申请数量") < page_of("（七）总计")


def test_doc_and_wps_are_ole_files_and_only_wps_carries_the_kingsoft_marker(converted):
    doc, wps = converted["doc"], converted["wps"]
    assert doc.startswith(OLE_MAGIC) and wps.startswith(OLE_MAGIC)
    for marker in ("KSOProductBuildVer", KINGSOFT_BUILD):
        assert marker.encode("ascii") in wps or marker.encode("utf-16-le") in wps
        assert marker.encode("ascii") not in doc and marker.encode("utf-16-le") not in doc


def test_xls_keeps_the_merges(converted):
    book = xlrd.open_workbook(file_contents=converted["xls"], formatting_info=True)
    sheet = book.sheet_by_index(0)
    spans = {(r2 - r1, c2 - c1) for r1, r2, c1, c2 in sheet.merged_cells}
    assert (3, 3) in spans and (1, 7) in spans and (1, 10) in spans  # note, 申请人情况, 行政诉讼
    assert converted["xls"].startswith(OLE_MAGIC)


def test_libreoffice_outputs_are_deterministic(converted):
    for name in ("pdf", "doc", "xls"):
        assert converted[name] == converted[f"{name}-again"], name


# --- variants ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template", ["2021", "2019"])
@pytest.mark.parametrize("rule", [None, *RULES])
@pytest.mark.parametrize("seed", range(6))
def test_variants_break_exactly_the_recorded_rule(template, rule, seed):
    quirks = [(), ("review_blank", "na_dash"), ("totals_only", "na_slash")][seed % 3]
    spec = variant(SEEDS[seed % 5], Plan(1000 + seed, template, break_rule=rule, value_quirks=quirks))
    assert spec.broken_rules == ([rule] if rule else [])
    assert broken_rules(spec) == spec.broken_rules
    counts = [v for k, v in spec.values.items() if not k.endswith(("change", "amount_10k_yuan"))]
    assert all(v is None or (isinstance(v, int) and v >= 0) for v in counts)


def test_value_variants_mean_what_they_print():
    s = variant(SEEDS[0], Plan(7, "2019", value_quirks=("amount_yuan", "thousands", "na_slash")))
    yuan = s.cells["active.procurement.amount_10k_yuan"]
    assert yuan.endswith("元") and not yuan.endswith("万元")
    assert s.values["active.procurement.amount_10k_yuan"] == pytest.approx(int(yuan[:-1]) / 10000)
    assert s.cells["active.licensing.decisions"] == f"{s.values['active.licensing.decisions']:,}"
    assert s.cells["active.regulations.new_made"] == "/" and s.values["active.regulations.new_made"] is None
    assert all(c.startswith(("+", "-")) or c == "0" for k, c in s.cells.items() if k.endswith(".change"))
    t = variant(SEEDS[1], Plan(8, "2021", value_quirks=("totals_only", "fee_decimal", "na_dash")))
    key = "applications.granted.natural_person"
    assert t.values[key] is None and t.cells[key] == ""
    assert t.values["applications.granted.total"] is not None
    assert t.cells["active.punishment.decisions"] == "—" and t.values["active.punishment.decisions"] is None
    assert t.values["active.fees.amount_10k_yuan"] == float(t.cells["active.fees.amount_10k_yuan"])
    assert set(VALUE_QUIRKS) >= {"na_slash", "na_dash", "na_text", "totals_only", "thousands", "amount_yuan"}


def test_label_quirks_reach_the_printed_tables():
    assert apply_quirks("2021", 2023, ["spaced_chars"])["applications.col.natural_person"] == "自 然 人"
    assert apply_quirks("2021", 2023, ["line_breaks"])["applications.col.commercial"] == "商业\n企业"
    labels = apply_quirks("2021", 2023, [q for q in QUIRKS if q not in ("spaced_chars", "line_breaks")])
    assert labels["active.row.normative_docs"] == "规范性文件"
    assert labels["active.col.issued"] == "本年(2023)制发件数"
    assert labels["active.col.in_force"] == "现行有效件数（历史累计）"  # added after halfwidth_brackets ran
    assert labels["active.row.regulations"] == "规章(县级无此项)"
    assert "逾期未按照收费通知要求" in labels["applications.row.other_overdue_fee"]
    assert labels["applications.group.denied"].startswith("(3) ")
    spec = variant(SEEDS[0], Plan(9, "2021", label_quirks=("line_breaks", "caption_rows")))
    table = applications_table(spec)
    assert table.cells[0].text == "收到和处理政府信息公开申请情况" and table.cells[0].colspan == 10
    assert "社会\n公益\n组织" in [c.text for c in table.cells]


def test_variants_cover_templates_years_and_laggards():
    assert variant(SEEDS[0], Plan(3, "2019", 2023)).year == 2023
    spec = variant(SEEDS[0], Plan(4, year_in_title=False))
    assert str(spec.year) not in spec.title and any(f"{spec.year}年1月1日" in p for p in spec.preamble)
    assert variant(SEEDS[0], Plan(5, cover_letter=True)).cover_letter.startswith(variant(SEEDS[0], Plan(5)).agency)
    for rule, quirk in (("R3", "totals_only"), ("R4", "review_blank")):  # the quirk would hide the error
        spec = variant(SEEDS[0], Plan(6, break_rule=rule, value_quirks=(quirk,)))
        assert broken_rules(spec) == [rule] and quirk not in spec.notes


# --- determinism ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", sorted(SEEDS))
def test_rendering_is_deterministic(n):
    spec = SEEDS[n]
    for fmt, style in (("html", HtmlStyle("word")), ("html", HtmlStyle("wps", "gbk-undeclared")),
                       ("text", TextStyle("rows")), ("docx", None), ("xlsx", SheetStyle(True))):
        assert render_direct(spec, fmt, style) == render_direct(spec, fmt, style), fmt
    plan = Plan(n, "2019", label_quirks=("spaced_chars",), break_rule="R2")
    assert variant(spec, plan).to_json() == variant(spec, plan).to_json()


def test_zip_members_carry_fixed_timestamps():
    with zipfile.ZipFile(io.BytesIO(render_direct(SEEDS[0], "docx"))) as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 1, 1, 0, 0, 0)}


# --- the committed corpus ------------------------------------------------------------------------------------------

DOCS = FIXTURES / "docs"


def test_corpus_is_complete_small_and_golden():
    docs = [p for p in DOCS.iterdir() if not p.name.endswith(".expected.json")]
    assert len(docs) >= 90
    assert sum(p.stat().st_size for p in DOCS.iterdir()) < 15_000_000
    for doc in docs:
        golden = json.loads((DOCS / (doc.name + ".expected.json")).read_text(encoding="utf-8"))
        assert "reviewed" in golden
        if golden.get("is_report"):
            template = golden["template"]
            assert list(golden["fields"]) == field_keys(template), doc.name
    formats = {json.loads(p.read_text(encoding="utf-8"))["format"] for p in DOCS.glob("*.expected.json")}
    assert {"html", "text", "docx", "pdf", "ofd", "doc", "wps", "xlsx", "xls"} <= formats


@pytest.mark.parametrize("n", sorted(SEEDS))
def test_seed_goldens_agree_with_the_seed_specs(n):
    spec = SEEDS[n]
    for path in DOCS.glob(f"seed{n:03d}.*.expected.json"):
        golden = json.loads(path.read_text(encoding="utf-8"))
        assert golden["fields"] == spec.values and golden["agency"] == spec.agency, path.name
        assert golden["template"] == spec.template and golden["broken_rules"] == spec.broken_rules
    assert (DOCS / f"seed{n:03d}.docx").read_bytes() == render_direct(spec, "docx"), \
        "the corpus is stale: run python -m tests.build_fixtures"


def test_a_golden_keeps_its_review_only_while_unchanged(tmp_path):
    path = tmp_path / "x.html.expected.json"
    golden = {"format": "html", "is_report": False, "reason": "年报解读"}
    assert json.loads(golden_text(golden, path))["reviewed"] is False
    path.write_text(json.dumps({**golden, "reviewed": "lead, 2024-02-01"}), encoding="utf-8")
    assert json.loads(golden_text(golden, path))["reviewed"] == "lead, 2024-02-01"
    assert json.loads(golden_text({**golden, "reason": "部署通知"}, path))["reviewed"] is False

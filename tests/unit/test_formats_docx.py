"""The DOCX reader on documents built here with real gridSpan/vMerge merges, shaped like the national form."""
from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from pipelines.document import ExtractionError, Grid
from pipelines.formats.docx import read
from tests.support.format_samples import (
    active_2021,
    applications_2021,
    docx_bytes,
    expand,
    numbered_document,
    report_docx,
    review,
)


def cells(grid: Grid) -> list[list[tuple[str, tuple[int, int]]]]:
    return [[(cell.text, cell.origin) for cell in row] for row in grid.rows]


def test_national_form_tables_with_their_merges():
    document = read(report_docx())
    assert [g.source for g in document.grids] == ["docx table 1", "docx table 2", "docx table 3"]
    assert cells(document.grids[0]) == expand(active_2021())
    assert cells(document.grids[1]) == expand(applications_2021())
    assert cells(document.grids[2]) == expand(review())


def test_section_three_spans_spelled_out():
    grid = read(report_docx()).grids[1]
    assert len(grid.rows) == 28 and len(grid.rows[0]) == 10
    # 三、本年度办理结果 spans （一） through （七）总计, rows 5–26 of column 0.
    assert [grid.rows[r][0].origin for r in (5, 17, 26)] == [(5, 0)] * 3
    assert grid.rows[5][0].text == "三、本年度办理结果" and not grid.is_copy(5, 0) and grid.is_copy(26, 0)
    assert grid.rows[27][0].origin == (27, 0)  # 四、结转下年度继续办理 is a row of its own
    # 法人或其他组织 spans the five organisation columns; 自然人 and 总计 span two header rows.
    assert [grid.rows[1][c].origin for c in range(4, 9)] == [(1, 4)] * 5
    assert grid.rows[2][3].origin == (1, 3) and grid.rows[2][9].origin == (1, 9)
    assert grid.texts()[2][3:] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert grid.texts()[26][1:4] == ["（七）总计", "（七）总计", "261"]


def test_prose_without_table_text_and_properties():
    document = read(report_docx(prose_before_applications=1))
    lines = document.text.split("\n")
    assert lines[0] == "岚皋县行政审批服务局2023年政府信息公开工作年度报告"
    assert lines[4:7] == ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                 "四、政府信息公开行政复议、行政诉讼情况"]
    assert "自然人" not in document.text and "- 1 -" not in document.text  # tables and footers stay out
    assert document.format == "docx"
    assert document.title == "岚皋县行政审批服务局2023年政府信息公开工作年度报告"
    assert document.meta["title"] == document.title and document.meta["created"].startswith("20")


def test_placeholder_title_is_not_a_title():
    document = docx.Document()
    document.core_properties.title = "Microsoft Word - 文档1.docx"
    document.add_paragraph("正文")
    read_back = read(docx_bytes(document))
    assert read_back.title is None and read_back.meta["title"] == "Microsoft Word - 文档1.docx"


def test_cell_paragraphs_join_without_spaces_between_cjk():
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    table.cell(0, 0).text = "商业"
    table.cell(0, 0).add_paragraph("企业")
    table.cell(0, 1).text = "Total"
    table.cell(0, 1).add_paragraph("count")
    table.cell(0, 2).paragraphs[0]._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:t>法律服务</w:t><w:br/><w:t>机构</w:t></w:r>'
    ))
    assert read(docx_bytes(document)).grids[0].texts() == [["商业企业", "Total count", "法律服务机构"]]


def test_nested_table_is_its_own_grid_after_its_parent():
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "外层"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内层甲"
    inner.cell(0, 1).text = "内层乙"
    grids = read(docx_bytes(document)).grids
    assert [g.texts() for g in grids] == [[["外层", ""]], [["内层甲", "内层乙"]]]
    assert [g.source for g in grids] == ["docx table 1", "docx table 2"]


def test_revisions_text_boxes_and_content_controls():
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="1" w:author="a"><w:r><w:t>新增</w:t></w:r></w:ins>'
    ))
    paragraph._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="2" w:author="a"><w:r><w:delText>删除</w:delText></w:r></w:del>'
    ))
    # A text box as Word writes it: the DrawingML choice and a VML fallback with the same text.
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml">'
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>'
        "<w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
        "<mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p>"
        "</w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    ))
    document.element.body.insert(0, parse_xml(
        f'<w:sdt {nsdecls("w")}><w:sdtContent><w:p><w:r><w:t>控件内</w:t></w:r></w:p></w:sdtContent></w:sdt>'
    ))
    assert read(docx_bytes(document)).text == "控件内\n新增\n文本框"


def test_grid_before_and_legacy_horizontal_merge():
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for c, text in enumerate(["甲", "乙", "丙"]):
        table.cell(0, c).text = text
    table.cell(1, 1).text = "丁"
    second = table.rows[1]._tr
    second.remove(second.tc_lst[0])
    second.insert(0, parse_xml(f'<w:trPr {nsdecls("w")}><w:gridBefore w:val="1"/></w:trPr>'))
    second.tc_lst[1].get_or_add_tcPr().append(parse_xml(f'<w:hMerge {nsdecls("w")}/>'))
    grid = read(docx_bytes(document)).grids[0]
    assert cells(grid) == [
        [("甲", (0, 0)), ("乙", (0, 1)), ("丙", (0, 2))],
        [("", (1, 0)), ("丁", (1, 1)), ("丁", (1, 1))],
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 not really a zip", "truncated or not a valid zip"),
        (report_docx()[:5000], "truncated or not a valid zip"),
    ],
)
def test_damaged_archives(data, message):
    with pytest.raises(ExtractionError, match=message):
        read(data)


def _replace_part(data: bytes, name: str, content: bytes | None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
        if content is not None:
            target.writestr(name, content)
    return out.getvalue()


def test_missing_or_damaged_document_part():
    data = report_docx()
    with pytest.raises(ExtractionError, match="no main document part"):
        read(_replace_part(data, "word/document.xml", None))
    with pytest.raises(ExtractionError, match="document XML is damaged"):
        read(_replace_part(data, "word/document.xml", b"<w:document><w:body><w:p>"))


def test_word_list_numbers_are_written_out():
    document = read(numbered_document())
    lines = document.text.split("\n")
    assert lines[:6] == ["一、总体情况", "（一）主动公开情况", "（二）依申请公开情况", "1.第三级",
                 "二、主动公开政府信息情况",
                         "（一）规章"]
    assert lines[-2:] == ["十、第10节", "十一、第11节"]
    assert document.grids[0].texts() == [["1.属于国家秘密"]]  # numbered cells count in reading order

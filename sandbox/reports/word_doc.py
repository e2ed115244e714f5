"""DOCX reports as agencies write them in Word or WPS: 仿宋 body, 黑体 headings, bordered tables with real merges.

`kingsoft=True` adds the custom document properties WPS Office writes (KSOProductBuildVer, ICV); LibreOffice
carries them into the .doc it makes, which is how the sandbox produces a .wps file.
"""
from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell

from sandbox.reports.layout import (
    RUN_BREAK,
    Article,
    Block,
    Paragraph,
    Table,
    heading_level,
    letter_blocks,
    report_blocks,
)
from sandbox.reports.normalize import fixed_zip
from sandbox.reports.site import stable_hash
from sandbox.reports.spec import ReportSpec

KINGSOFT_BUILD = "2052-11.1.0.14309"
_FONTS = {"title": ("方正小标宋简体", 22), "heading": ("黑体", 16), "body": ("仿宋_GB2312", 16),
          "letter": ("仿宋_GB2312", 16), "cell": ("宋体", 10.5)}
# Text width of an A4 page with 2.8/2.6 cm margins, shared out so label columns get room to wrap.
_TEXT_WIDTH_CM = 15.6
_LABEL_WEIGHTS = {"active": (3, 2, 2, 2), "applications": (1.1, 1.6, 3.2) + (1,) * 7, "review": (1,) * 15}


def _font(run, role: str, bold: bool = False) -> None:
    name, size = _FONTS[role]
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(doc, block: Paragraph) -> None:
    p = doc.add_paragraph()
    if block.role == "page_break":
        p.add_run().add_break(WD_BREAK.PAGE)
        return
    if block.role == "title":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        lines = block.text.split("\n")
        for i, line in enumerate(lines):
            run = p.add_run(line)
            _font(run, "title")
            if i < len(lines) - 1:
                run.add_break()
        return
    level, text = heading_level(block.text)
    if block.role != "letter":
        p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.line_spacing = Pt(28)
    _font(p.add_run(text), "heading" if block.role == "heading" or level else "body")


def _table(doc, table: Table) -> None:
    t = doc.add_table(rows=table.n_rows, cols=table.n_cols)
    t.style = "Table Grid"
    # A table with a column added or left out (the variant corpus) gives the extra columns the data columns' weight.
    weights = (_LABEL_WEIGHTS.get(table.name, ()) + (1,) * table.n_cols)[:table.n_cols]
    widths = [Cm(_TEXT_WIDTH_CM * w / sum(weights)) for w in weights]
    t.autofit = False
    for column, width in zip(t.columns, widths):
        column.width = width  # the grid LibreOffice lays out by
    # Cells taken once before merging: Table.cell() re-reads the whole table on every call. Merged ranges do not
    # overlap, so each range's cells are still in place when its turn comes.
    grid = [[_Cell(tc, t) for tc in tr.tc_lst] for tr in t._tbl.tr_lst]
    for row in grid:
        for c, docx_cell in enumerate(row):
            docx_cell.width = widths[c]
    for cell in table.cells:
        target = grid[cell.row][cell.col]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(grid[cell.row + cell.rowspan - 1][cell.col + cell.colspan - 1])
        lines = cell.text.split("\n")
        for i, line in enumerate(lines):
            p = target.paragraphs[0] if i == 0 else target.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for part in line.split(RUN_BREAK) if line else ():
                _font(p.add_run(part), "cell", bold=cell.header and table.name != "applications")


def _kingsoft_properties(doc, seed: str) -> None:
    icv = f"{stable_hash(seed):08X}{stable_hash(seed[::-1]):08X}" * 2
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
        f"<vt:lpwstr>{KINGSOFT_BUILD}</vt:lpwstr></property>"
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="ICV">'
        f"<vt:lpwstr>{icv}</vt:lpwstr></property></Properties>")
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def render_blocks(blocks: list[Block], title: str, author: str, saved: datetime, kingsoft: bool = False,
                  page_break_after: int = 0) -> bytes:
    """A DOCX of `blocks`; a page break follows the first `page_break_after` blocks (a cover letter)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    for i, block in enumerate(blocks, start=1):
        if isinstance(block, Table):
            _table(doc, block)
        else:
            _paragraph(doc, block)
        if i == page_break_after:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    # Fixed, plausible dates: the file must not change between builds.
    props = doc.core_properties
    props.title = title
    props.author = props.last_modified_by = author
    props.created = props.modified = saved
    props.revision = 1
    if kingsoft:
        _kingsoft_properties(doc, title)
    out = io.BytesIO()
    doc.save(out)
    return fixed_zip(out.getvalue())


def render_article_docx(article: Article, saved: datetime) -> bytes:
    return render_blocks([Paragraph(article.title, "title"), *article.blocks], article.title, article.source, saved)


def render_docx(spec: ReportSpec, kingsoft: bool = False) -> bytes:
    letter = letter_blocks(spec)
    return render_blocks([*letter, *report_blocks(spec)], spec.title, spec.agency,
                         datetime(spec.year + 1, 1, 8, 9, 0, 0), kingsoft, page_break_after=len(letter))

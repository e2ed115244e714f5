"""XLSX reports: the three tables with their merged ranges, on one sheet or one sheet per table.

Spreadsheets hold the tables only; the title and the section headings are rows above them. Numbers are stored
as numbers, the way a person typing them into Excel gets them; anything else ("+57", "40.35万元", "/") as text.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from sandbox.reports.layout import TABLES, Table, heading_level
from sandbox.reports.normalize import fixed_zip
from sandbox.reports.spec import ReportSpec

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_SHEET_NAMES = {"active": "主动公开", "applications": "依申请公开", "review_litigation": "复议诉讼"}


@dataclass(frozen=True)
class SheetStyle:
    per_table: bool = False  # one sheet per table instead of everything on one sheet


def _cell_value(text: str) -> tuple[int | float | str | None, str | None]:
    """(value, number format): plain numbers become numbers, "10,727" a number shown with separators."""
    if not text:
        return None, None
    if re.fullmatch(r"\d+", text):
        return int(text), None
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text), None
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return int(text.replace(",", "")), "#,##0"
    return text, None


def _styles(cell) -> StyleArray:
    """The cell's style indices, to set directly: openpyxl hashes a style object on every assignment of one to a
    cell, which took half the time a sheet takes to draw. `cell.border = b` is `_styles(cell).borderId =
    workbook._borders.add(b)`."""
    cell._style = cell._style or StyleArray()
    return cell._style


def _write_table(ws, table: Table, top: int) -> int:
    """Write `table` with its top-left at row `top`; return the first row after it."""
    book, font = ws.parent, None
    for cell in table.cells:
        r, c = top + cell.row, 1 + cell.col
        value, number_format = _cell_value(cell.text)
        target = ws.cell(row=r, column=c, value=value)
        if number_format:
            target.number_format = number_format
        if cell.header:
            if font is None:  # added where the first header cell needs it: the workbook's font list keeps its order
                font = book._fonts.add(Font(name="宋体", size=10, bold=table.name != "applications"))
            _styles(target).fontId = font
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + cell.rowspan - 1, end_column=c + cell.colspan - 1)
    border, alignment = book._borders.add(_BORDER), book._alignments.add(_CENTER)
    for row in ws.iter_rows(min_row=top, max_row=top + table.n_rows - 1, max_col=table.n_cols):
        for cell in row:
            styles = _styles(cell)
            styles.borderId, styles.alignmentId = border, alignment
    return top + table.n_rows


def _heading(ws, row: int, text: str, width: int, title: bool = False) -> None:
    ws.cell(row=row, column=1, value=text).font = Font(name="黑体", size=16 if title else 12, bold=title)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    if title:
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center")


def render_xlsx(spec: ReportSpec, style: SheetStyle = SheetStyle()) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]  # the one sheet a new workbook has (`active`, typed as possibly none)
    ws.title = "政府信息公开年报" if not style.per_table else _SHEET_NAMES["active"]
    row = 1
    for i, (section, build) in enumerate(TABLES.items()):
        table = build(spec)
        if style.per_table and i:
            ws, row = wb.create_sheet(_SHEET_NAMES[section]), 1
        if i == 0:
            _heading(ws, row, spec.title, table.n_cols, title=True)
            row += 1
        _heading(ws, row, heading_level(spec.headings[section])[1], table.n_cols)
        row = _write_table(ws, table, row + 1) + 1
    for sheet in wb.worksheets:
        for col in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(col)].width = 14 if col <= 3 else 9
    # Fixed dates: the file must not change between builds.
    wb.properties.creator = wb.properties.lastModifiedBy = spec.agency
    wb.properties.title = spec.title
    saved = datetime(spec.year + 1, 1, 8, 9, 0, 0)
    wb.properties.created = saved
    out = io.BytesIO()
    wb.save(out)
    # openpyxl stamps the save time into dcterms:modified whatever the properties say.
    stamp = saved.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    fix_modified = lambda xml: re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, xml)  # noqa: E731
    return fixed_zip(out.getvalue(), {"docProps/core.xml": fix_modified})

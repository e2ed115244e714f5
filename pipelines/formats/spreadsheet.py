"""XLSX (python-calamine) and XLS (xlrd) workbooks: each visible sheet is one grid, its title rows are prose.

XLSX is read with python-calamine rather than openpyxl: openpyxl styles every merged cell while loading, which
on the fixture workbooks (a few hundred merged ranges) measured 25 docs/s against calamine's 2,500 docs/s.
calamine gives values without their number formats, so an XLSX number shows as its value ("0.5", not "0.50").

Cells are rendered as the sheet shows them: an integer-valued number as "12" (never "12.0"), a number formatted
with decimals keeps exactly those decimals ("40.35", "0.50"), dates as ISO dates. Merged ranges become merged cells.
A sheet's leading rows that hold a single cell (its title, often merged across the table) and trailing notes merged
across the table are prose, not table rows.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass

import olefile
import python_calamine
import xlrd
from lxml import etree

from pipelines import limits
from pipelines.document import Cell, Document, ExtractionError, Grid
from pipelines.formats.cjk import join_lines
from pipelines.formats.grids import compact
from pipelines.formats.properties import meaningful_title

_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DECIMALS = re.compile(r"\.([0#?]+)")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


@dataclass
class _Sheet:
    """A sheet's non-empty cell texts and merged ranges, 0-based; a range is (first row, first col, last row,
    last col)."""

    name: str
    texts: dict[tuple[int, int], str]
    merged: list[tuple[int, int, int, int]]


def _number(value: float, number_format: str) -> str:
    """The number as its format shows it, without grouping separators (which downstream parsing would trip on)."""
    section = _QUOTED.sub("", number_format.split(";")[0])
    if "%" in section:
        value *= 100
    decimals = _DECIMALS.search(section)
    if decimals is None or section.lower() == "general":
        text = str(int(value)) if float(value).is_integer() else f"{value:.15g}"
    else:
        places = decimals.group(1)
        shown = f"{value:.{len(places)}f}"
        optional = len(places) - len(places.rstrip("#?"))  # trailing "#" places are shown only when non-zero
        for _ in range(optional):
            shown = shown.removesuffix("0")
        text = shown.rstrip(".")
    return text + "%" if "%" in section else text


def _text(value: object, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return _number(value, number_format)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return join_lines(str(value).splitlines())


def _single_origin(row: list[Cell]) -> Cell | None:
    """The one non-empty cell of a row that has exactly one, if it holds words (a title, a note; not a number)."""
    filled = {cell.origin: cell for cell in row if cell.text}
    cell = next(iter(filled.values())) if len(filled) == 1 else None
    return cell if cell is not None and any(ch.isalpha() for ch in cell.text) else None


def _layout(sheet: _Sheet, notes: list[str]) -> tuple[list[str], Grid | None, list[str]]:
    """Title lines, the table, and trailing note lines of one sheet.

    Rows and columns without any text are left out: they separate nothing a grid can say, and one stray cell far
    from the table would otherwise stretch the grid to millions of blank positions.
    """
    texts = sheet.texts
    most = limits.current().table_cells
    ranges = [m for m in sheet.merged
              if (m[0], m[1]) in texts and (m[2] - m[0] + 1) * (m[3] - m[1] + 1) <= most]
    used_rows = sorted({r for r, _ in texts} | {r for r0, _, r1, _ in ranges for r in range(r0, r1 + 1)})
    used_cols = sorted({c for _, c in texts} | {c for _, c0, _, c1 in ranges for c in range(c0, c1 + 1)})
    if not texts:
        return [], None, []
    if len(used_rows) * len(used_cols) > most:
        notes.append(f"{sheet.name}: {len(used_rows)} × {len(used_cols)} cells is no report table, skipped")
        return [], None, []
    origin = {}
    for r0, c0, r1, c1 in ranges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                origin[(r, c)] = (r0, c0)
    row_at = {r: n for n, r in enumerate(used_rows)}
    col_at = {c: n for n, c in enumerate(used_cols)}
    rows = []
    for r in used_rows:
        row = []
        for c in used_cols:
            r0, c0 = origin.get((r, c), (r, c))
            row.append(Cell(texts.get((r0, c0), ""), (row_at[r0], col_at[c0])))
        rows.append(row)
    width = len(used_cols)
    title: list[Cell] = []
    while len(rows) > 2 and (cell := _single_origin(rows[0])) is not None:
        title.append(cell)
        rows.pop(0)
    notes_below: list[Cell] = []
    while len(rows) > 2 and (cell := _single_origin(rows[-1])) is not None and (
        sum(1 for c in rows[-1] if c.origin == cell.origin) == width
    ):
        notes_below.insert(0, cell)
        rows.pop()
    shift = len(title)
    if shift:
        rows = [[Cell(c.text, (max(c.origin[0] - shift, 0), c.origin[1])) for c in row] for row in rows]
    return _distinct(title), compact(Grid(rows, sheet.name)), _distinct(notes_below)


def _distinct(cells: list[Cell]) -> list[str]:
    """The texts of cells, once per merged cell (a title merged over two rows was popped twice)."""
    return [cell.text for n, cell in enumerate(cells) if n == 0 or cells[n - 1].origin != cell.origin]


def _document(format: str, sheets: list[_Sheet], title: str | None, meta: dict[str, str],
              notes: list[str]) -> Document:
    lines: list[str] = []
    grids: list[Grid] = []
    for sheet in sheets:
        before, grid, after = _layout(sheet, notes)
        lines.extend(before)
        if grid is not None:
            grids.append(grid)
        lines.extend(after)
    return Document(format=format, text="\n".join(lines), grids=grids, title=meaningful_title(title), meta=meta,
                    warnings=notes)


_CORE = {"title": "{http://purl.org/dc/elements/1.1/}title", "author": "{http://purl.org/dc/elements/1.1/}creator",
         "created": "{http://purl.org/dc/terms/}created", "modified": "{http://purl.org/dc/terms/}modified"}


def _xlsx_meta(data: bytes) -> dict[str, str]:
    """Title, author and dates from docProps/core.xml (calamine does not read document properties)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = etree.fromstring(archive.read("docProps/core.xml"))
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, etree.XMLSyntaxError, OSError):
        return {}
    meta = {}
    for key, tag in _CORE.items():
        element = root.find(tag)
        text = (element.text or "").strip() if element is not None else ""
        if text:
            meta[key] = text
    return meta


def _check_extent(data: bytes) -> None:
    """calamine lays each sheet out densely from its first to its last cell before anything can be skipped: cells at
    A1 and XFD1048576 make it ask for 512 GiB and abort the process. The extent is checked from the cell references
    first; a damaged archive is left to calamine to describe."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                refs = _CELL_REF.findall(archive.read(info))
                if not refs:
                    continue
                # Thousands of cells, few distinct rows and columns: each converted once.
                rows = [int(row) for row in {row for _, row in refs}]
                cols = [_column_number(letters) for letters in {letters for letters, _ in refs}]
                extent = (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
                limits.check("table_cells", extent, f"positions spanned by the cells of {info.filename}")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError):
        return


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def read_xlsx(data: bytes) -> Document:
    _check_extent(data)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # calamine raises its own error types for every kind of damage
        raise ExtractionError(f"XLSX is truncated or damaged ({type(error).__name__}: {error})") from None
    sheets, notes = [], []
    for info in book.sheets_metadata:
        if str(info.visible).rsplit(".", 1)[-1] != "Visible":
            notes.append(f"hidden sheet {info.name!r} skipped")
            continue
        try:
            sheet = book.get_sheet_by_name(info.name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        except Exception as error:  # a damaged sheet: the others may still hold the report
            notes.append(f"sheet {info.name!r} unreadable ({type(error).__name__})")
            continue
        texts = {}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                text = _text(value, "General")
                if text:
                    texts[(r, c)] = text
        sheets.append(_Sheet(f"xlsx sheet {info.name}", texts, merged))
    meta = _xlsx_meta(data)
    return _document("xlsx", sheets, meta.get("title"), meta, notes)


def _xls_text(book: xlrd.book.Book, cell: xlrd.sheet.Cell) -> str:
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _text(xlrd.xldate.xldate_as_datetime(float(cell.value), book.datemode), "")
        except (ValueError, OverflowError):
            return _number(float(cell.value), "General")
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return _text(bool(cell.value), "")
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        number_format = "General"
        if book.formatting_info and cell.xf_index is not None and 0 <= cell.xf_index < len(book.xf_list):
            shown = book.format_map.get(book.xf_list[cell.xf_index].format_key)
            number_format = shown.format_str if shown is not None else "General"
        return _number(float(cell.value), number_format)
    return _text(cell.value, "")


def _ole_meta(data: bytes) -> dict[str, str]:
    """Title, author and dates from the OLE SummaryInformation stream (xlrd does not read it)."""
    try:
        with olefile.OleFileIO(data) as ole:
            props = ole.get_metadata()
    except Exception:  # olefile fails on damaged containers in every way; the properties are only hints
        return {}
    codepage = (props.codepage or 0) & 0xFFFF  # stored as a signed 16-bit number: 65001 reads as -535
    encoding = {0: "gb18030", 936: "gb18030", 1200: "utf-16-le", 65001: "utf-8"}.get(codepage, f"cp{codepage}")
    meta = {}
    for key, value in (("title", props.title), ("author", props.author)):
        if isinstance(value, bytes):
            try:
                text = value.decode(encoding, "replace").strip("\x00 ")
            except LookupError:
                text = value.decode("gb18030", "replace").strip("\x00 ")
            if text:
                meta[key] = text
    for key, value in (("created", props.create_time), ("modified", props.last_saved_time)):
        if isinstance(value, dt.datetime):
            meta[key] = value.isoformat()
    return meta


def read_xls(data: bytes) -> Document:
    notes = []
    try:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=io.StringIO())
        except NotImplementedError:
            # Old BIFF versions: formatting (and so merged ranges and number formats) cannot be read.
            book = xlrd.open_workbook(file_contents=data, logfile=io.StringIO())
            notes.append("XLS formatting unreadable: merged cells and number formats not applied")
    except Exception as error:  # xlrd raises XLRDError, struct and index errors alike on damaged files
        if "encrypted" in str(error).lower():
            raise ExtractionError("XLS is encrypted (password required)") from None
        raise ExtractionError(f"XLS is truncated or damaged ({type(error).__name__}: {error})") from None
    sheets = []
    for sheet in book.sheets():
        if sheet.visibility != 0:
            notes.append(f"hidden sheet {sheet.name!r} skipped")
            continue
        texts = {}
        for r in range(sheet.nrows):
            for c, cell in enumerate(sheet.row(r)):
                text = _xls_text(book, cell)
                if text:
                    texts[(r, c)] = text
        merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
        sheets.append(_Sheet(f"xls sheet {sheet.name}", texts, merged))
    meta = _ole_meta(data)
    return _document("xls", sheets, meta.get("title"), meta, notes)

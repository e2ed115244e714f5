"""Poison documents (issue 19): files a broken or hostile portal serves as reports, each small on the wire and each
able to take down a parser that trusts it (an abort, a zip bomb, a span bomb). The sandbox lists them in a report
column of the portals with the `poison_documents` hazard; a crawler must archive each as what it is (an error
capture, or not a report) and lose none of the reports beside it. Each function returns bytes."""
from __future__ import annotations

import functools
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
    '.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                  'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_CORE = ('<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
         'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>'
         + "2023年某县人民政府政府信息公开工作年度报告" * 40 + '</dc:title></cp:coreProperties>')


def _sheet(cells: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            f'2006/main"><sheetData>{cells}</sheetData></worksheet>')


def _entry(name: str) -> zipfile.ZipInfo:
    """A deflated entry dated once for all: the same payload is the same bytes on every request."""
    info = zipfile.ZipInfo(name, date_time=(2024, 2, 1, 9, 30, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _xlsx(sheet: str, core: str | None = None) -> bytes:
    out = io.BytesIO()
    parts = {"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _RELS, "xl/workbook.xml": _WORKBOOK,
             "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS, "xl/worksheets/sheet1.xml": sheet}
    if core is not None:
        parts["docProps/core.xml"] = core
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(_entry(name), text)
    return out.getvalue()


def xlsx_far_cells() -> bytes:
    """Cells at A1 and XFD1048576: calamine lays the sheet out densely and aborts the process (SIGABRT)."""
    return _xlsx(_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>年报</t></is></c></row>'
                        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


def xlsx_damaged_deflate() -> bytes:
    """A readable sheet, and document properties whose deflate stream is damaged (zlib.error while reading them)."""
    data = bytearray(_xlsx(_sheet('<row r="1"><c r="A1"><v>1</v></c></row>'), _CORE))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("docProps/core.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for n in range(start + 8, start + info.compress_size - 4, 7):
        data[n] ^= 0x5A
    return bytes(data)


def zip_with(name: str, parts: Iterable[bytes], base: bytes) -> bytes:
    """`base` (a DOCX or XLSX) with its part `name` replaced by `parts` joined, deflated as they stream."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        with dst.open(_entry(name), "w", force_zip64=True) as part:
            for chunk in parts:
                part.write(chunk)
    return out.getvalue()


@functools.cache
def xlsx_zip_bomb(megabytes: int = 300) -> bytes:
    """An XLSX whose sheet unzips to `megabytes` MB of blank space (300 KB on the wire)."""
    return zip_with("xl/worksheets/sheet1.xml", itertools.repeat(b" " * 2**20, megabytes), _xlsx(_sheet("")))


def html_span_bomb(cells: int = 2000, span: int = 100) -> bytes:
    """A table of `cells` cells each spanning `span` rows and columns (69 KB; GBs once expanded naively)."""
    rows = "".join(f'<tr><td rowspan="{span}" colspan="{span}">{n}</td></tr>' for n in range(cells))
    return (f"<html><head><title>2023年某县政府信息公开工作年度报告</title></head><body><table>{rows}</table>"
            "</body></html>").encode()




# name → (the payload, its file suffix, what a crawler must archive it as under the default limits)
PAYLOADS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "far_cells": (xlsx_far_cells, "xlsx", "error"),
    "damaged_deflate": (xlsx_damaged_deflate, "xlsx", "not_report"),
    "zip_bomb": (xlsx_zip_bomb, "xlsx", "error"),
    "span_bomb": (html_span_bomb, "html", "error"),
}

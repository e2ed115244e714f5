"""Bytes of any published report → the common-schema record (`Report`), or a `Failure` saying why not."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pipelines import schema, values
from pipelines.checks import run_checks
from pipelines.classify import names_report, report_verdict
from pipelines.document import Cell, Document, ExtractionError, Failure, Grid, Report
from pipelines.formats.containers import check_container
from pipelines.limits import LimitExceeded, memory_exceeded
from pipelines.mapping import Mapped, map_grids
from pipelines.metadata import (
    agency_from_body,
    agency_from_lines,
    agency_from_title,
    find_title_line,
    publication_date,
    report_year,
)
from pipelines.sections import headings_in_tables, split_sections
from pipelines.sniff import sniff

PARSER_VERSION = "0.3.0"  # 0.3: rows placed by near labels and arithmetic (`placement`); 0.2: table pictures

TABLE_PICTURE = "a picture of tables alone: its cells belong to the report of the page that shows it"

_SECTION_NAMES = {"active": "二", "applications": "三", "review_litigation": "四"}


def _reader(fmt: str) -> Callable[[bytes], Document]:
    # Imported on use: a run over HTML pages never pays for pdfplumber, python-docx or LibreOffice.
    read: Callable[[bytes], Document]
    if fmt == "html":
        from pipelines.formats.html import read
    elif fmt == "text":
        from pipelines.formats.text import read
    elif fmt == "pdf":
        from pipelines.formats.pdf import read
    elif fmt == "docx":
        from pipelines.formats.docx import read
    elif fmt in ("xlsx", "xls"):
        from pipelines.formats import spreadsheet
        read = spreadsheet.read_xlsx if fmt == "xlsx" else spreadsheet.read_xls
    elif fmt in ("doc", "wps"):
        from pipelines.formats import office
        read = office.read_doc if fmt == "doc" else office.read_wps
    elif fmt == "image":
        from pipelines.formats.image import read
    elif fmt == "ofd":
        from pipelines.formats.ofd import read
    elif fmt == "encrypted":
        raise ExtractionError("Office document is encrypted (password required)")
    elif fmt == "empty":
        raise ExtractionError("the file is empty")
    else:
        raise ExtractionError("unrecognised file type (not HTML, PDF, Word, WPS, Excel, text or an image)")
    return read


def _template(mapped: Mapped, year: int | None, headings: int) -> str:
    if mapped.template_votes:
        (best, votes), *rest = mapped.template_votes.most_common()
        if rest and rest[0][1] == votes:
            return "2021" if (year or 0) >= 2021 else "2019"
        return best
    if headings >= 3 and year and year >= 2019:
        return "2021" if year >= 2021 else "2019"
    return "legacy"


UNDIVIDED_OTHER = ("（六）其他处理 is one undivided row, as in the 2019 form: stored under applications.other.*; the "
                   "three 2021 sub-rows are null")


def _keys(template: str, mapped: Mapped, warnings: list[str]) -> list[str]:
    """The template's keys; a 2021 table whose （六）其他处理 is one row adds the 2019 keys it was stored under."""
    keys = schema.field_keys(template)
    if template == "2021" and any(k.startswith("applications.other.") for k in mapped.raw) \
            and not any(k.startswith("applications.other_") for k in mapped.raw):
        warnings.append(UNDIVIDED_OTHER)
        at = keys.index("applications.total_processed.natural_person")
        keys[at:at] = [f"applications.other.{col}" for col in schema.APPLICANT_COLUMNS]
    return keys


def _fields(template: str, mapped: Mapped, warnings: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    fields: dict[str, int | float | None] = {}
    raw: dict[str, str | None] = {}
    missing: dict[str, list[str]] = {}
    keys = _keys(template, mapped, warnings)
    undivided = len(keys) > len(schema.field_keys(template))
    for key in keys:
        text = mapped.raw.get(key)
        raw[key] = text
        if text is None:
            fields[key] = None
            row = key.rsplit(".", 1)[0]
            if not (undivided and row.removeprefix("applications.") in schema.OTHER_2021):
                missing.setdefault(row, []).append(key)
            continue
        value = values.parse(text, amount=schema.column_of(key) in schema.AMOUNT_COLUMNS,
                             header_unit=mapped.units.get(key))
        fields[key] = value.number
        if not value.ok:
            shown = text if len(text) <= 40 else text[:40] + "…"
            warnings.append(f"{key}: {shown!r} {value.problem}")
    for row, keys in missing.items():
        width = len(schema.APPLICANT_COLUMNS) if row.startswith("applications.") else len(keys) + 1
        warnings.append(f"absent from the document: {row}.*" if len(keys) == width else
                        f"absent from the document: {', '.join(keys)}")
    return fields, raw


def _caption_rows(grids: list[Grid]) -> list[str]:
    """The text of every table row that is one cell across the table (a caption; a PDF may stitch two tables)."""
    return [row[0].text for grid in grids for row in grid.rows if row and row[0].origin == row[-1].origin]


def build_report(doc: Document, source: str, sha256: str) -> Report:
    warnings = list(doc.warnings)
    lines = doc.text.split("\n")
    title_line = find_title_line(lines)
    title = doc.title if doc.title and "信息公开" in doc.title else (title_line[1] if title_line else doc.title)
    sections, _ = split_sections(doc.text)
    for key in headings_in_tables(_caption_rows(doc.grids)) - set(sections):
        sections[key] = ""
    agency = agency_from_title(title) if title else None
    if not agency:
        above = lines[max(0, title_line[0] - 2): title_line[0]] if title_line else []
        agency = (doc.meta.get("contentsource") or agency_from_lines(above)
                  or agency_from_lines(reversed(lines[-6:])) or agency_from_body(lines))
    year = report_year(title, doc.text)
    mapped = map_grids(doc.grids)
    warnings.extend(mapped.warnings)
    template = _template(mapped, year, len(sections))
    is_report, reason = report_verdict(title, len(sections), len(mapped.raw), names_report(doc.text))
    report = Report(
        source=source, sha256=sha256, format=doc.format, is_report=is_report, reason=reason, agency=agency,
        year=year, template=template if is_report else None, title=title,
        published=publication_date(doc.published, doc.text, year),
    )
    if not is_report:
        report.warnings = warnings
        return report
    report.sections = {key: sections.get(key, "") for key in schema.SECTION_KEYS}
    absent = [key for key in schema.SECTION_KEYS if key not in sections]
    if absent:
        warnings.append(f"sections not found: {', '.join(absent)}")
    for key, name in _SECTION_NAMES.items():
        if template != "legacy" and key in sections and key not in mapped.sections:
            warnings.append(f"table {name} not found (published as an image or only in an attachment?)")
    report.fields, report.raw = _fields(template, mapped, warnings)
    report.placement = {key: mapped.placement[key] for key in report.fields if key in mapped.placement}
    report.checks = run_checks(report.fields, template, doc.text)
    if year is None:
        warnings.append("the year reported on is not stated in the title or text")
    if agency is None:
        warnings.append("the agency is not named in the title or first lines")
    report.warnings = warnings
    return report


def _document(data: bytes, source: str) -> tuple[str, Document | Failure]:
    sha256 = hashlib.sha256(data).hexdigest()
    fmt = None
    try:
        fmt = sniff(data)
        if fmt in ("docx", "xlsx", "ofd"):
            check_container(data)
        return sha256, _reader(fmt)(data)
    except LimitExceeded as exc:
        return sha256, Failure(source, sha256, str(exc), fmt, "limit")
    except ExtractionError as exc:
        return sha256, Failure(source, sha256, str(exc), fmt)
    except MemoryError:
        return sha256, Failure(source, sha256, memory_exceeded(), fmt, "memory")
    except Exception as exc:  # a reader's library failing on input it did not expect (zlib.error, …)
        return sha256, Failure(source, sha256, f"the {fmt} reader failed ({type(exc).__name__}: {exc})", fmt)


@dataclass
class PictureReport(Report):
    """A picture of tables alone: not a report, but its tables go with the result, for the page that shows it to be
    read with them (`extract_page`) without reading the picture again."""

    grids: list[Grid] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "grids": [grid_as_json(g) for g in self.grids]}


def grid_as_json(grid: Grid) -> dict[str, Any]:
    """A grid as JSON: its size and each cell once, at its origin, with its spans."""
    rows = grid.rows
    cells = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell.origin == (r, c):
                rowspan = sum(1 for below in rows[r:] if below[c].origin == (r, c))
                colspan = sum(1 for right in row[c:] if right.origin == (r, c))
                cells.append([r, c, rowspan, colspan, cell.text])
    return {"source": grid.source, "size": [len(rows), len(rows[0]) if rows else 0], "cells": cells}


def grid_from_json(data: dict[str, Any]) -> Grid:
    n_rows, n_cols = data["size"]
    rows = [[Cell("", (r, c)) for c in range(n_cols)] for r in range(n_rows)]
    for r, c, rowspan, colspan, text in data["cells"]:
        for dr in range(rowspan):
            for dc in range(colspan):
                rows[r + dr][c + dc] = Cell(text, (r, c))
    return Grid(rows, data["source"])


def extract(data: bytes, source: str) -> Report | Failure:
    """Extract one document. Never raises for bad input: an unreadable document is a `Failure`."""
    sha256, doc = _document(data, source)
    if isinstance(doc, Failure):
        return doc
    report = build_report(doc, source, sha256)
    if doc.format == "image" and doc.grids and not doc.text:
        # The tables of a page that publishes them as pictures: the page's report, not one of its own.
        return PictureReport(**{**vars(report), "is_report": False, "reason": TABLE_PICTURE}, grids=doc.grids)
    return report


def extract_page(page: bytes, source: str, pictures: list[tuple[str, dict[str, Any]]]) -> Report | Failure:
    """A page read together with the pictures of tables it shows: one report with the page's text and the pictures'
    cells. `pictures`: each picture's URL and its own extraction result (a `PictureReport`'s, or whatever reading
    it gave: a picture that is no table, or cannot be read, is a warning), in the page's order."""
    sha256, doc = _document(page, source)
    if isinstance(doc, Failure):
        return doc
    for url, result in pictures:
        if result.get("error"):
            doc.warnings.append(f"picture {url}: {result['error']}")
        elif not result.get("grids"):
            doc.warnings.append(f"picture {url}: no ruled table found")
        doc.grids.extend(replace(grid_from_json(g), source=f"picture {url}") for g in result.get("grids") or ())
    return build_report(doc, source, sha256)

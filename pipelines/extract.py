"""Bytes of any published report → the common-schema record (`Report`), or a `Failure` saying why not."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from pipelines import schema, values
from pipelines.checks import run_checks
from pipelines.classify import classify
from pipelines.document import Document, ExtractionError, Failure, Report
from pipelines.mapping import Mapped, map_grids
from pipelines.metadata import (
    agency_from_lines, agency_from_title, find_title_line, publication_date, report_year,
)
from pipelines.sections import split_sections
from pipelines.sniff import sniff

PARSER_VERSION = "0.1.0"

_SECTION_NAMES = {"active": "二", "applications": "三", "review_litigation": "四"}


def _reader(fmt: str) -> Callable[[bytes], Document]:
    # Imported on use: a run over HTML pages never pays for pdfplumber, python-docx or LibreOffice.
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
        raise ExtractionError("OFD documents are not supported yet (no OFD reader installed)")
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


def _fields(template: str, mapped: Mapped, warnings: list[str]) -> tuple[dict, dict]:
    fields: dict[str, int | float | None] = {}
    raw: dict[str, str | None] = {}
    missing: dict[str, list[str]] = {}
    for key in schema.field_keys(template):
        text = mapped.raw.get(key)
        raw[key] = text
        if text is None:
            fields[key] = None
            row = key.rsplit(".", 1)[0]
            missing.setdefault(row, []).append(key)
            continue
        value = values.parse(text, amount=schema.column_of(key) in schema.AMOUNT_COLUMNS,
                             header_unit=mapped.units.get(key))
        fields[key] = value.number
        if not value.ok:
            warnings.append(f"{key}: {text!r} is not a number")
    for row, keys in missing.items():
        width = len(schema.APPLICANT_COLUMNS) if row.startswith("applications.") else len(keys) + 1
        warnings.append(f"absent from the document: {row}.*" if len(keys) == width else
                        f"absent from the document: {', '.join(keys)}")
    return fields, raw


def build_report(doc: Document, source: str, sha256: str) -> Report:
    warnings = list(doc.warnings)
    lines = doc.text.split("\n")
    title_line = find_title_line(lines)
    title = doc.title if doc.title and "信息公开" in doc.title else (title_line[1] if title_line else doc.title)
    sections, _ = split_sections(doc.text)
    agency = agency_from_title(title) if title else None
    if not agency:
        above = lines[max(0, title_line[0] - 2): title_line[0]] if title_line else []
        agency = (doc.meta.get("contentsource") or agency_from_lines(above)
                  or agency_from_lines(reversed(lines[-6:])))
    year = report_year(title, doc.text)
    mapped = map_grids(doc.grids)
    warnings.extend(mapped.warnings)
    template = _template(mapped, year, len(sections))
    is_report, reason = classify(title, len(sections), len(mapped.raw))
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
    report.checks = run_checks(report.fields, template, doc.text)
    if year is None:
        warnings.append("the year reported on is not stated in the title or text")
    if agency is None:
        warnings.append("the agency is not named in the title or first lines")
    report.warnings = warnings
    return report


def extract(data: bytes, source: str) -> Report | Failure:
    """Extract one document. Never raises for bad input: an unreadable document is a `Failure`."""
    sha256 = hashlib.sha256(data).hexdigest()
    fmt = None
    try:
        fmt = sniff(data)
        doc = _reader(fmt)(data)
    except ExtractionError as exc:
        return Failure(source, sha256, str(exc), fmt)
    return build_report(doc, source, sha256)

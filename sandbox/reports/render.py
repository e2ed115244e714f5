"""Render a `ReportSpec` in any format portals publish reports in.

HTML, text, DOCX and XLSX are drawn directly; PDF and DOC are made from the DOCX and XLS from the XLSX by
LibreOffice, the way agencies' own exports are; WPS is a DOC from a DOCX carrying WPS Office's properties.
`render_all` batches every LibreOffice conversion of one target into a single soffice call, the targets in parallel.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sandbox.reports.excel_book import SheetStyle, render_xlsx
from sandbox.reports.html_page import HtmlStyle, render_html
from sandbox.reports.libreoffice import convert_batches
from sandbox.reports.spec import ReportSpec
from sandbox.reports.text_doc import TextStyle, render_text
from sandbox.reports.word_doc import render_docx

FORMATS = ("html", "text", "docx", "xlsx", "pdf", "doc", "wps", "xls")
Style = HtmlStyle | TextStyle | SheetStyle | None
# format → the LibreOffice target it is converted to
_CONVERTED = {"pdf": "pdf", "doc": "doc", "wps": "doc", "xls": "xls"}


@dataclass(frozen=True)
class Request:
    spec: ReportSpec
    format: str
    style: Style = None  # HtmlStyle for html, TextStyle for text, SheetStyle for xlsx/xls


_S = TypeVar("_S", HtmlStyle, TextStyle, SheetStyle)


def _style(style: Style, kind: type[_S], fmt: str) -> _S:
    if style is None:
        return kind()
    if not isinstance(style, kind):
        raise TypeError(f"{fmt} is drawn with a {kind.__name__}, not a {type(style).__name__}")
    return style


def render_direct(spec: ReportSpec, fmt: str, style: Style = None) -> bytes:
    """HTML, text, DOCX or XLSX bytes, without LibreOffice."""
    spec.validate()
    if fmt == "html":
        return render_html(spec, _style(style, HtmlStyle, fmt))
    if fmt == "text":
        return render_text(spec, _style(style, TextStyle, fmt))
    if fmt == "docx":
        return render_docx(spec)
    if fmt == "xlsx":
        return render_xlsx(spec, _style(style, SheetStyle, fmt))
    raise ValueError(f"{fmt!r} is not drawn directly; use render or render_all")


def _source(request: Request) -> bytes:
    if request.format == "xls":
        return render_direct(request.spec, "xlsx", request.style)
    request.spec.validate()
    return render_docx(request.spec, kingsoft=request.format == "wps")


def render_all(requests: Sequence[Request]) -> list[bytes]:
    """The bytes of every request, in order; one soffice call per LibreOffice target."""
    for r in requests:
        if r.format not in FORMATS:
            raise ValueError(f"unknown format {r.format!r}; expected one of {FORMATS}")
    out: list[bytes | None] = [None] * len(requests)
    batches: dict[str, dict[str, bytes]] = {}
    for i, r in enumerate(requests):
        if r.format in _CONVERTED:
            batches.setdefault(_CONVERTED[r.format], {})[f"r{i:04d}"] = _source(r)
        else:
            out[i] = render_direct(r.spec, r.format, r.style)
    for converted in convert_batches(batches).values():
        for name, data in converted.items():
            out[int(name[1:])] = data
    return out  # type: ignore[return-value]


def render(spec: ReportSpec, fmt: str, style: Style = None) -> bytes:
    return render_all([Request(spec, fmt, style)])[0]

"""PDF: each page's glyphs and ruling segments read with PDFium, laid out by `layout` (prose and ruled tables).

pdfplumber (pdfminer) gave the same glyphs and rulings at a fifth of the speed: parsing content streams in Python
was nine tenths of the reader's time. PDFium parses them in C; what is read here is the glyph boxes pdfminer would
give and the path segments pdfplumber would turn into edges, so the layout stage sees the same input.

Glyph boxes run from the baseline up one font size, which is pdfminer's box for a font that states no descent (as
LibreOffice's fonts do); another font's descent would only move all its boxes by a fraction of its size.
"""
from __future__ import annotations

import ctypes
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium

from pipelines import limits
from pipelines.document import Document, ExtractionError
from pipelines.formats import image
from pipelines.formats.layout import Matrix, Page, compose, lay_out, read_page, ruling
from pipelines.formats.properties import meaningful_title

_UNMAPPED_SHARE = 0.3  # share of a page's glyphs without a Unicode mapping above which its text layer is useless
_OCR_WARNING = "scanned PDF: text by OCR, tables not extracted"
_FORM_DEPTH = 8  # form XObjects nested deeper than this are not looked into


def _glyphs(page: pypdfium2.PdfPage, left: float, top: float) -> tuple[list[dict[str, Any]], int]:
    """The page's drawn glyphs (spaces included, those PDFium makes up left out) and how many lack a Unicode map."""
    textpage = page.get_textpage()
    raw = textpage.raw  # the bare handle: pypdfium2's wrapper costs a lookup on every one of these calls
    try:
        box = pdfium.FS_RECTF()
        x, y = ctypes.c_double(), ctypes.c_double()
        glyphs: list[dict[str, Any]] = []
        unmapped = 0
        count = pdfium.FPDFText_CountChars(raw)
        texts = _texts(raw, count)
        for i, text in enumerate(texts):
            # PDFium makes up spaces and line ends between text objects, never other characters.
            if text in " \r\n" and pdfium.FPDFText_IsGenerated(raw, i):
                continue
            pdfium.FPDFText_GetLooseCharBox(raw, i, box)
            pdfium.FPDFText_GetCharOrigin(raw, i, x, y)
            size = pdfium.FPDFText_GetFontSize(raw, i)
            baseline = top - y.value
            unmapped += pdfium.FPDFText_HasUnicodeMapError(raw, i) == 1
            glyphs.append({"text": text, "x0": box.left - left, "x1": box.right - left, "top": baseline - size,
                           "bottom": baseline, "size": size})
        return glyphs, unmapped
    finally:
        textpage.close()


def _texts(textpage: ctypes.c_void_p, count: int) -> list[str]:
    """Each character of the text page, read in one call (a character outside the BMP takes two UTF-16 units, and
    then they are read one by one)."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium.FPDFText_GetText(textpage, 0, count, buffer)
    units = bytes(buffer)[:2 * max(written - 1, 0)].decode("utf-16-le", "replace")
    if len(units) == count:
        return list(units)
    return [chr(pdfium.FPDFText_GetUnicode(textpage, i)) for i in range(count)]


def _matrix(obj: ctypes.c_void_p) -> Matrix:
    m = pdfium.FS_MATRIX()
    pdfium.FPDFPageObj_GetMatrix(obj, m)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _segments(path: ctypes.c_void_p, m: Matrix) -> Iterator[tuple[tuple[float, float], tuple[float, float]]]:
    """The path's straight segments in page coordinates (closing segments included)."""
    point_x, point_y = ctypes.c_float(), ctypes.c_float()
    start = previous = None
    for i in range(pdfium.FPDFPath_CountSegments(path)):
        segment = pdfium.FPDFPath_GetPathSegment(path, i)
        pdfium.FPDFPathSegment_GetPoint(segment, point_x, point_y)
        px, py = point_x.value, point_y.value
        point = (m[0] * px + m[2] * py + m[4], m[1] * px + m[3] * py + m[5])
        kind = pdfium.FPDFPathSegment_GetType(segment)
        if kind == pdfium.FPDF_SEGMENT_MOVETO:
            start = point
        elif kind == pdfium.FPDF_SEGMENT_LINETO and previous is not None:
            yield previous, point
        if pdfium.FPDFPathSegment_GetClose(segment) and start is not None and point != start:
            yield point, start
            point = start
        previous = point


def _edges(page: pypdfium2.PdfPage, left: float, top: float) -> list[dict[str, Any]]:
    """Horizontal and vertical path segments as pdfplumber's edges (top-down coordinates)."""
    edges: list[dict[str, Any]] = []

    def walk(objects: Iterable[Any], outer: Matrix | None, depth: int) -> None:
        for obj in objects:
            kind = pdfium.FPDFPageObj_GetType(obj)
            if kind not in (pdfium.FPDF_PAGEOBJ_PATH, pdfium.FPDF_PAGEOBJ_FORM):
                continue
            m = _matrix(obj) if outer is None else compose(_matrix(obj), outer)
            if kind == pdfium.FPDF_PAGEOBJ_FORM:
                if depth < _FORM_DEPTH:
                    walk([pdfium.FPDFFormObj_GetObject(obj, i) for i in range(pdfium.FPDFFormObj_CountObjects(obj))],
                         m, depth + 1)
                continue
            for (x0, y0), (x1, y1) in _segments(obj, m):
                edge = ruling(x0 - left, top - y0, x1 - left, top - y1)
                if edge is not None:
                    edges.append(edge)

    raw = page.raw
    walk([pdfium.FPDFPage_GetObject(raw, i) for i in range(pdfium.FPDFPage_CountObjects(raw))], None, 0)
    return edges


def _read_page(page: pypdfium2.PdfPage, number: int) -> Page:
    # Page space, unrotated: a page turned by /Rotate is read as its text runs (a landscape table stays a table).
    left, bottom, right, top = page.get_bbox()
    width, height = right - left, top - bottom
    glyphs, unmapped = _glyphs(page, left, top)
    glyphs = [g for g in glyphs if g["text"].strip() or g["text"] == " "]
    # Glyphs of a font without a Unicode map are as unreadable as a scan, so OCR them too.
    if not any(g["text"].strip() for g in glyphs) or unmapped > _UNMAPPED_SHARE * len(glyphs):
        return Page(number, round(width), height, scanned=True)
    return read_page(number, width, height, glyphs, _edges(page, left, top))


def _pdf_date(value: object) -> str | None:
    """"D:20240129103000+08'00'" → "2024-01-29T10:30:00"."""
    match = re.match(r"D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?", value if isinstance(value, str) else "")
    if not match:
        return None
    year, month, day, hour, minute, second = match.groups()
    date = f"{year}-{month or '01'}-{day or '01'}"
    return f"{date}T{hour}:{minute or '00'}:{second or '00'}" if hour else date


def _metadata(info: dict[str, Any]) -> dict[str, str]:
    meta = {}
    for key, name in (("title", "Title"), ("author", "Author"), ("creator", "Creator"), ("producer", "Producer")):
        value = info.get(name)
        if isinstance(value, str) and value.strip():
            meta[key] = value.strip()
    for key, name in (("created", "CreationDate"), ("modified", "ModDate")):
        date = _pdf_date(info.get(name))
        if date:
            meta[key] = date
    return meta


def _ocr_pages(document: pypdfium2.PdfDocument, numbers: list[int], warnings: list[str]) -> dict[int, str]:
    texts = {}
    started = time.monotonic()
    for n in numbers:
        limits.check("ocr_seconds", time.monotonic() - started, f"seconds of OCR before page {n} of {len(numbers)}")
        try:
            texts[n] = image.ocr(document[n - 1].render(scale=image.OCR_DPI / 72).to_pil())
        except (pypdfium2.PdfiumError, ExtractionError) as error:
            warnings.append(f"PDF page {n}: no text by OCR ({error})")
    return texts


def _open(data: bytes) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(data, password="")
    except pypdfium2.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium.FPDF_ERR_PASSWORD:
            raise ExtractionError("PDF is encrypted (password required)") from None
        raise ExtractionError(f"PDF is damaged or truncated ({error})") from None


def _read_pages(document: pypdfium2.PdfDocument, warnings: list[str]) -> list[Page]:
    """The pages; a damaged page is skipped with a warning."""
    limits.check("pdf_pages", len(document), "pages in the PDF")
    pages = []
    for n in range(len(document)):
        try:
            page = document[n]
        except pypdfium2.PdfiumError as error:
            warnings.append(f"PDF page {n + 1} unreadable, left out ({error})")
            continue
        try:
            pages.append(_read_page(page, n + 1))
        except MemoryError:
            raise
        except Exception as error:  # a malformed page in any way, found while its objects are read
            warnings.append(f"PDF page {n + 1} unreadable, left out ({type(error).__name__}: {error})")
        finally:
            page.close()  # a long PDF must not hold every page in memory
    if not pages:
        raise ExtractionError("PDF has no readable page")
    return pages


def read(data: bytes) -> Document:
    warnings: list[str] = []
    document = _open(data)
    try:
        meta = _metadata(document.get_metadata_dict(skip_empty=True))
        pages = _read_pages(document, warnings)
        scanned = [p.number for p in pages if p.scanned]
        ocr: dict[int, str] = {}
        if scanned:
            if not image.ocr_available():
                if len(scanned) == len(pages):
                    raise ExtractionError(f"scanned PDF (no text layer): {image.MISSING_OCR}")
                warnings.append(f"PDF pages {scanned} have no text layer and OCR is unavailable: {image.MISSING_OCR}")
            else:
                warnings.append(_OCR_WARNING if len(scanned) == len(pages) else
                                f"PDF pages {scanned} scanned: text by OCR, tables on them not extracted")
                ocr = _ocr_pages(document, scanned, warnings)
    finally:
        document.close()
    text, grids = lay_out(pages, ocr, "pdf")
    return Document(format="pdf", text=text, grids=grids, title=meaningful_title(meta.get("title")), meta=meta,
                    warnings=warnings)

"""OFD (GB/T 33190): a zip of XML pages, laid out like a PDF's (`layout`: prose and ruled tables).

OFD.xml names the document (Document.xml), which lists the pages and the templates they draw on. A page's text
objects place glyphs (TextCode X/Y, DeltaX/DeltaY steps) inside their Boundary, under their CTM; path objects draw
the table rulings (AbbreviatedData: M/S move, L line, B/Q/A curves, C close). Units are millimetres, y downwards;
glyphs and segments are handed to the layout stage in points, as from a PDF.

ofdkit (measured 2026-12) reads text runs but neither rulings nor glyph positions, so tables could not be rebuilt
from it; easyofd pulls in PyMuPDF and renders. Reading the XML with lxml takes a few milliseconds a page.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from io import BytesIO
from typing import Any

from lxml import etree

from pipelines.document import Document, ExtractionError
from pipelines.formats.cjk import is_wide
from pipelines.formats.layout import Matrix, Page, compose, lay_out, read_page, ruling
from pipelines.formats.properties import meaningful_title

_PT_PER_MM = 72 / 25.4
_NARROW = 0.5  # usual width of a narrow glyph, in font sizes (OFD gives steps between glyphs, not widths)
_WIDEST = 1.2  # font sizes: no glyph's advance is wider
_A4 = (210.0, 297.0)  # millimetres: the page size when a document states none
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ARITY = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}  # operands of each AbbreviatedData operator
_META = {"Title": "title", "Author": "author", "Creator": "creator", "CreationDate": "created",
         "ModDate": "modified"}

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if element is None else [c for c in element if _local(c) == name]


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text or "")]


def _steps(text: str | None) -> list[float]:
    """DeltaX/DeltaY: numbers, where "g N d" stands for N steps of d."""
    tokens = (text or "").split()
    steps: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            steps.extend([float(tokens[i + 2])] * int(float(tokens[i + 1])))
            i += 3
        else:
            steps.append(float(tokens[i]))
            i += 1
    return steps


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _placement(element: etree._Element, outer: Matrix) -> tuple[Matrix, tuple[float, float, float, float]]:
    """An object's matrix into page millimetres (its CTM, then its boundary's offset) and its boundary."""
    left, top, width, height = (_numbers(element.get("Boundary")) + [0.0] * 4)[:4]
    ctm = _numbers(element.get("CTM"))
    own: Matrix = (ctm[0], ctm[1], ctm[2], ctm[3], ctm[4], ctm[5]) if len(ctm) == 6 else _IDENTITY
    return compose(compose(own, (1.0, 0.0, 0.0, 1.0, left, top)), outer), (left, top, width, height)


class _Package:
    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(BytesIO(data))
            self.names = {n.lstrip("/").lower(): n for n in self.zip.namelist()}
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ExtractionError(f"OFD is damaged or truncated (not a complete zip: {error})") from None

    def resolve(self, base: str, location: str | None) -> str | None:
        """A location as written in `base` (relative to its folder, or absolute from the package root)."""
        if not location:
            return None
        location = location.strip().replace("\\", "/")
        path = location.lstrip("/") if location.startswith("/") else posixpath.join(posixpath.dirname(base), location)
        path = posixpath.normpath(path)
        return self.names.get(path.lower()) or self.names.get(location.lstrip("/").lower())

    def xml(self, name: str | None) -> etree._Element:
        if name is None:
            raise ExtractionError("OFD is damaged (a part it names is missing)")
        try:
            root = etree.fromstring(self.zip.read(name), _PARSER)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError,
                etree.XMLSyntaxError) as error:
            raise ExtractionError(f"OFD is damaged ({name}: {error})") from None
        if root is None:
            raise ExtractionError(f"OFD is damaged ({name} is not XML)")
        return root


class _Reader:
    """One document's pages: glyphs (dicts as `layout` takes them) and ruling edges, in points."""

    def __init__(self, package: _Package, document_path: str, document: etree._Element) -> None:
        self.package = package
        common = _child(document, "CommonData")
        self.page_box = self._box(_child(common, "PageArea"), _A4)
        self.templates = {t.get("ID"): package.resolve(document_path, t.get("BaseLoc"))
                          for t in _children(common, "TemplatePage")}

    @staticmethod
    def _box(area: etree._Element | None, default: tuple[float, float]) -> tuple[float, float]:
        box = _child(area, "PhysicalBox")
        numbers = _numbers(box.text if box is not None else "")
        return (numbers[2], numbers[3]) if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0 else default

    def page(self, number: int, location: str | None) -> Page:
        root = self.package.xml(location)
        width, height = self._box(_child(root, "Area"), self.page_box)
        glyphs: list[dict[str, Any]] = []
        edges: list[dict[str, Any]] = []
        for template in _children(root, "Template"):
            path = self.templates.get(template.get("TemplateID"))
            if path is not None:
                self._content(self.package.xml(path), glyphs, edges)
        self._content(root, glyphs, edges)
        glyphs = [g for g in glyphs if g["text"].strip() or g["text"] == " "]
        return read_page(number, width * _PT_PER_MM, height * _PT_PER_MM, glyphs, edges)

    def _content(self, page: etree._Element, glyphs: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        for layer in _children(_child(page, "Content"), "Layer"):
            self._objects(layer, _IDENTITY, glyphs, edges)

    def _objects(self, parent: etree._Element, outer: Matrix, glyphs: list[dict[str, Any]],
                 edges: list[dict[str, Any]]) -> None:
        for element in parent:
            kind = _local(element)
            if kind == "TextObject":
                self._text(element, outer, glyphs)
            elif kind == "PathObject":
                self._path(element, outer, edges)
            elif kind == "PageBlock":
                self._objects(element, outer, glyphs, edges)

    @staticmethod
    def _text(element: etree._Element, outer: Matrix, glyphs: list[dict[str, Any]]) -> None:
        m, box = _placement(element, outer)
        scale = abs(m[0] * m[3] - m[1] * m[2]) ** 0.5
        size = float(element.get("Size") or 0) * scale * _PT_PER_MM
        right = _apply(m, box[2], 0.0)[0] * _PT_PER_MM  # the boundary's right edge, for the last glyph's width
        x = y = 0.0
        for code in _children(element, "TextCode"):
            text = code.text or ""
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            dx, dy = _steps(code.get("DeltaX")), _steps(code.get("DeltaY"))
            placed = []
            for i, char in enumerate(text):
                px, py = _apply(m, x, y)
                placed.append((char, px * _PT_PER_MM, py * _PT_PER_MM))
                if i < len(text) - 1:
                    x += dx[i] if i < len(dx) else 0.0
                    y += dy[i] if i < len(dy) else 0.0
            for i, (char, px, baseline) in enumerate(placed):
                # A glyph ends where the next one starts, unless that is farther than the widest glyphs ("@", "—")
                # reach (the next cell, a justified gap); the last one at the boundary's edge when that is near.
                width = size if is_wide(char) else _NARROW * size
                if i + 1 < len(placed) and abs(placed[i + 1][2] - baseline) < 0.1 and placed[i + 1][1] > px:
                    step = placed[i + 1][1] - px
                    end = px + (step if step <= _WIDEST * size else width)
                else:
                    end = right if px < right <= px + 1.5 * width else px + width
                glyphs.append({"text": char, "x0": px, "x1": end, "top": baseline - size, "bottom": baseline,
                               "size": size})

    @staticmethod
    def _path(element: etree._Element, outer: Matrix, edges: list[dict[str, Any]]) -> None:
        m, _ = _placement(element, outer)
        data = _child(element, "AbbreviatedData")
        tokens = (data.text or "").split() if data is not None else []
        start = current = None
        segments = []
        i = 0
        while i < len(tokens):
            op, n = tokens[i], _ARITY.get(tokens[i])
            try:
                args = [float(t) for t in tokens[i + 1:i + 1 + n]] if n is not None else None
            except ValueError:
                args = None
            if args is None or n is None or len(args) < n:  # an unknown operator or a damaged operand: skip one token
                i += 1
                continue
            i += 1 + n
            if op in ("M", "S"):
                start = current = _apply(m, args[0], args[1])
            elif op == "L" and current is not None:
                point = _apply(m, args[0], args[1])
                segments.append((current, point))
                current = point
            elif op in ("Q", "B", "A"):
                current = _apply(m, args[-2], args[-1])  # curves are no rulings
            elif op == "C" and current is not None and start is not None:
                segments.append((current, start))
                current = start
        for (x0, y0), (x1, y1) in segments:
            edge = ruling(x0 * _PT_PER_MM, y0 * _PT_PER_MM, x1 * _PT_PER_MM, y1 * _PT_PER_MM)
            if edge is not None:
                edges.append(edge)


def _metadata(info: etree._Element | None) -> dict[str, str]:
    meta = {}
    for name, key in _META.items():
        element = _child(info, name)
        if element is not None and element.text and element.text.strip():
            meta[key] = element.text.strip()
    return meta


def read(data: bytes) -> Document:
    package = _Package(data)
    ofd_path = package.names.get("ofd.xml")
    if ofd_path is None:
        raise ExtractionError("OFD is damaged (no OFD.xml)")
    body = _child(package.xml(ofd_path), "DocBody")  # the first document of the package is the one published
    meta = _metadata(_child(body, "DocInfo"))
    root = _child(body, "DocRoot")
    document_path = package.resolve(ofd_path, root.text if root is not None else None)
    document = package.xml(document_path)
    reader = _Reader(package, document_path or "", document)
    warnings: list[str] = []
    pages = []
    for number, page in enumerate(_children(_child(document, "Pages"), "Page"), start=1):
        try:
            pages.append(reader.page(number, package.resolve(document_path or "", page.get("BaseLoc"))))
        except ExtractionError as error:
            warnings.append(f"OFD page {number} unreadable, left out ({error})")
        except Exception as error:  # malformed numbers, steps or matrices in any way: this page only
            warnings.append(f"OFD page {number} unreadable, left out ({type(error).__name__}: {error})")
    if not pages:
        raise ExtractionError("OFD has no readable page")
    text, grids = lay_out(pages, {}, "ofd")
    if not text and not grids:
        raise ExtractionError("OFD has no text (its pages are images; OFD pages are not read by OCR)")
    return Document(format="ofd", text=text, grids=grids, title=meaningful_title(meta.get("title")), meta=meta,
                    warnings=warnings)

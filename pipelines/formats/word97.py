"""Word 97–2003 binary documents (DOC, and WPS saved in that format) read directly, for the common case.

LibreOffice spends a few hundred milliseconds loading and laying out a document before it can convert it; reading
the binary takes a few. This reader covers what the national form's reports use: the main text through the piece
table, fields (their results), and tables with their cells' edges and merges (sprmTDefTable, sprmTVertMerge) from
the paragraph properties. A document using what it leaves out — automatic list numbering (its labels are not in
the text), text boxes, nested tables, a pre-97 format — raises `Unsupported`, and `office` converts it with
LibreOffice as before.

[MS-DOC] names: FIB (file information block), CP (character position), FC (file offset), PAPX (paragraph
properties), FKP (formatted disk page), sprm (property modifier), TTP (the mark that ends a table row).
"""
from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import olefile

from pipelines.document import Cell, Document, Grid
from pipelines.formats.cjk import join_lines
from pipelines.formats.grids import compact
from pipelines.formats.properties import meaningful_title

_NFIB_97 = 0x00C1
_FLAGS = 0x0A
_TABLE_STREAM = 0x0200  # fWhichTblStm: 1Table, else 0Table
_CCP = {"text": 0x4C, "txbx": 0x64, "hdr_txbx": 0x68}
_FC_CLX, _LCB_CLX = 0x01A2, 0x01A6
_FC_BTE_PAPX, _LCB_BTE_PAPX = 0x0102, 0x0106
_FC_STSH, _LCB_STSH = 0x00A2, 0x00A6
_COMPRESSED = 0x40000000
_FKP = 512
_HAIRLINE = 60  # twips: a column narrower than this is an artefact of nearly aligned cell edges (as in docx.py)

_IN_TABLE, _TTP, _ITAP, _ILFO = 0x2416, 0x2417, 0x6649, 0x460B
_INNER_CELL, _INNER_TTP = 0x244B, 0x244C
_DEF_TABLE, _VERT_MERGE, _HUGE = 0xD608, 0xD62B, 0x6646
_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # operand size by a sprm's spra; 6 is variable

_FIRST_MERGED, _MERGED, _VERT_MERGED, _VERT_RESTART = 0x01, 0x02, 0x20, 0x40
_DROP = dict.fromkeys(map(ord, "\x01\x02\x03\x04\x05\x06\x08\x1f"))  # objects, notes, optional hyphens
# Tabs as in docx.py; a manual line break, and a page or section break (which ends its paragraph), as line ends.
_CHANGE = {ord("\t"): " ", ord("\x0b"): "\n", ord("\x0c"): "\n", ord("\x1e"): "-"}


class Unsupported(Exception):
    """The document uses something this reader leaves to LibreOffice."""


@dataclass
class _Paragraph:
    text: str
    in_table: bool = False
    row_end: bool = False
    cell_end: bool = False
    columns: list[int] = field(default_factory=list)  # a row end's cell edges (twips)
    merges: list[int] = field(default_factory=list)  # a row end's TC flags per cell


def _u16(data: bytes, at: int) -> int:
    value: int = struct.unpack_from("<H", data, at)[0]
    return value


def _u32(data: bytes, at: int) -> int:
    value: int = struct.unpack_from("<I", data, at)[0]
    return value


def _sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """(sprm, operand) pairs of a property list."""
    i = 0
    while i + 2 <= len(grpprl):
        sprm = _u16(grpprl, i)
        i += 2
        spra = sprm >> 13
        if sprm == _DEF_TABLE:
            size = _u16(grpprl, i) - 1
            i += 2
        elif spra == 6:
            size = grpprl[i] if i < len(grpprl) else 0
            i += 1
        else:
            size = _OPERAND[spra]
        yield sprm, grpprl[i:i + size]
        i += size


class _Binary:
    def __init__(self, data: bytes) -> None:
        with olefile.OleFileIO(data) as ole:
            self.word = ole.openstream("WordDocument").read()
            fib = self.word
            if len(fib) < 0x01AA or _u16(fib, 2) < _NFIB_97:
                raise Unsupported("not a Word 97 or later binary")
            table = "1Table" if _u16(fib, _FLAGS) & _TABLE_STREAM else "0Table"
            if not ole.exists(table):
                raise Unsupported(f"no {table} stream")
            self.table = ole.openstream(table).read()
            self.data = ole.openstream("Data").read() if ole.exists("Data") else b""
            self.meta = _metadata(ole)
        if _u32(fib, _CCP["txbx"]) or _u32(fib, _CCP["hdr_txbx"]):
            raise Unsupported("text boxes")
        self.ccp_text = _u32(fib, _CCP["text"])
        self._pieces()
        self._papx()
        self._numbered_styles()

    def _pieces(self) -> None:
        """The piece table: CP boundaries, and each piece's FC and width (1 byte compressed, 2 bytes UTF-16)."""
        table, at = self.table, _u32(self.word, _FC_CLX)
        end = at + _u32(self.word, _LCB_CLX)
        while at < end and table[at] == 1:  # property lists referenced by pieces: skipped
            at += 3 + _u16(table, at + 1)
        if at >= end or table[at] != 2:
            raise Unsupported("no piece table")
        size = _u32(table, at + 1)
        plc = table[at + 5:at + 5 + size]
        n = (size - 4) // 12
        self.cps = list(struct.unpack_from(f"<{n + 1}I", plc, 0))
        self.fcs, self.widths = [], []
        for k in range(n):
            fc = _u32(plc, 4 * (n + 1) + 8 * k + 2)
            compressed = bool(fc & _COMPRESSED)
            self.fcs.append((fc & ~_COMPRESSED) // 2 if compressed else fc)
            self.widths.append(1 if compressed else 2)

    def text(self) -> str:
        parts = []
        for k in range(len(self.fcs)):
            start, stop = self.cps[k], min(self.cps[k + 1], self.ccp_text)
            if start >= stop:
                break
            raw = self.word[self.fcs[k]:self.fcs[k] + (stop - start) * self.widths[k]]
            parts.append(raw.decode("cp1252" if self.widths[k] == 1 else "utf-16-le", "replace"))
        return "".join(parts)

    def fc(self, cp: int) -> int:
        k = bisect.bisect_right(self.cps, cp) - 1
        fc: int = self.fcs[k] + (cp - self.cps[k]) * self.widths[k]
        return fc

    def _papx(self) -> None:
        """Every FKP run of paragraph properties: FC where it starts, and its property list."""
        table = self.table
        at, size = _u32(self.word, _FC_BTE_PAPX), _u32(self.word, _LCB_BTE_PAPX)
        n = (size - 4) // 8
        self.run_starts: list[int] = []
        self.run_props: list[bytes] = []
        self.run_styles: list[int] = []
        self.run_ends: list[int] = []
        for k in range(n):
            page = (_u32(table, at + 4 * (n + 1) + 4 * k) & 0x3FFFFF) * _FKP
            fkp = self.word[page:page + _FKP]
            if len(fkp) < _FKP:
                raise Unsupported("damaged paragraph properties")
            runs = fkp[-1]
            for r in range(runs):
                offset = fkp[4 * (runs + 1) + 13 * r] * 2
                grpprl, style = b"", 0
                if offset:
                    cb = fkp[offset]
                    length, begin = (2 * fkp[offset + 1], offset + 2) if cb == 0 else (2 * cb - 1, offset + 1)
                    style, grpprl = _u16(fkp, begin), fkp[begin + 2:begin + length]
                self.run_styles.append(style)
                self.run_starts.append(_u32(fkp, 4 * r))
                self.run_ends.append(_u32(fkp, 4 * (r + 1)))
                self.run_props.append(grpprl)

    def props(self, cp: int) -> tuple[int, bytes]:
        """The style and property list of the paragraph whose mark is at `cp`."""
        fc = self.fc(cp)
        k = bisect.bisect_right(self.run_starts, fc) - 1
        if k < 0 or fc >= self.run_ends[k]:
            return 0, b""
        style, grpprl = self.run_styles[k], self.run_props[k]
        if grpprl[:2] == _HUGE.to_bytes(2, "little") and len(grpprl) >= 6:
            # Too long for its page (a wide table row's definition): kept in the Data stream.
            at = _u32(grpprl, 2)
            grpprl = self.data[at + 2:at + 2 + _u16(self.data, at)]
        return style, grpprl

    def _numbered_styles(self) -> None:
        """The paragraph styles that number their paragraphs (sprmPIlfo), directly or through their base style."""
        table, at, size = self.table, _u32(self.word, _FC_STSH), _u32(self.word, _LCB_STSH)
        header = _u16(table, at)
        count, base_size = _u16(table, at + 2), _u16(table, at + 4)
        at += 2 + header
        end = at + size
        bases: dict[int, int] = {}
        numbered: set[int] = set()
        for istd in range(count):
            if at + 2 > end:
                break
            length = _u16(table, at)
            std = table[at + 2:at + 2 + length]
            at += 2 + length
            if len(std) < base_size or _u16(std, 2) & 0x0F != 1:  # empty, or not a paragraph style
                continue
            bases[istd] = _u16(std, 2) >> 4
            name = base_size + 2 + 2 * _u16(std, base_size) + 2  # after the name's length, characters, terminator
            if name + 2 <= len(std):
                upx = std[name + 2 + 2:name + 2 + _u16(std, name)]  # the paragraph UPX, after its style index
                if any(sprm == _ILFO and _u16(op.ljust(2, b"\0"), 0) for sprm, op in _sprms(upx)):
                    numbered.add(istd)
        self.numbered_styles = {istd for istd in bases if _inherits(istd, bases, numbered)}


def _inherits(istd: int, bases: dict[int, int], numbered: set[int]) -> bool:
    for _ in range(len(bases) + 1):  # a damaged style sheet may loop
        if istd in numbered:
            return True
        if istd not in bases or bases[istd] == istd:
            return False
        istd = bases[istd]
    return False


def _metadata(ole: olefile.OleFileIO) -> dict[str, str]:
    info = ole.get_metadata()
    codepage = (info.codepage or 0) & 0xFFFF
    codec = {65001: "utf-8", 1200: "utf-16-le"}.get(codepage, f"cp{(info.codepage or 936) & 0xFFFF}")
    meta = {}
    for key, value in (("title", info.title), ("author", info.author)):
        if isinstance(value, bytes):
            try:
                value = value.decode(codec, "replace")
            except LookupError:
                value = value.decode("gbk", "replace")
        if isinstance(value, str) and value.strip("\x00 "):
            meta[key] = value.strip("\x00 ")
    for key, value in (("created", info.create_time), ("modified", info.last_saved_time)):
        if isinstance(value, datetime):
            meta[key] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return meta


def _without_field_codes(text: str) -> str:
    """A field shows its result: the code between its begin (0x13) and separator (0x14) marks is dropped."""
    if "\x13" not in text:
        return text
    out, depth_in_code = [], []
    for char in text:
        if char == "\x13":
            depth_in_code.append(True)
        elif char == "\x14" and depth_in_code:
            depth_in_code[-1] = False
        elif char == "\x15" and depth_in_code:
            depth_in_code.pop()
        elif not any(depth_in_code):
            out.append(char)
    return "".join(out)


def _paragraphs(binary: _Binary) -> list[_Paragraph]:
    text = binary.text()
    paragraphs = []
    start = 0
    for cp, char in enumerate(text):
        if char not in "\r\x07":
            continue
        p = _Paragraph(_without_field_codes(text[start:cp]).translate(_DROP).translate(_CHANGE))
        p.cell_end = char == "\x07"
        columns: list[int] = []
        merges: list[int] = []
        vertical: dict[int, int] = {}
        style, grpprl = binary.props(cp)
        numbered = style in binary.numbered_styles
        for sprm, operand in _sprms(grpprl):
            if sprm == _IN_TABLE:
                p.in_table = operand[:1] != b"\x00"
            elif sprm == _TTP:
                p.row_end = operand[:1] != b"\x00"
            elif ((sprm == _ITAP and operand and struct.unpack_from("<i", operand.ljust(4, b"\0"))[0] > 1)
                  or (sprm in (_INNER_CELL, _INNER_TTP) and operand[:1] != b"\x00")):
                raise Unsupported("nested tables")
            elif sprm == _ILFO:
                numbered = bool(_u16(operand.ljust(2, b"\0"), 0))
            elif sprm == _DEF_TABLE and operand:
                count = operand[0]
                columns = list(struct.unpack_from(f"<{count + 1}h", operand, 1))
                tcs = operand[1 + 2 * (count + 1):]
                merges = [_u16(tcs, 20 * i) if 20 * i + 2 <= len(tcs) else 0 for i in range(count)]
            elif sprm == _VERT_MERGE and len(operand) >= 2:
                vertical[operand[0]] = operand[1]
        if numbered and text[start:cp].strip():
            raise Unsupported("automatic list numbering")
        for cell, flags in vertical.items():
            if cell < len(merges):
                merges[cell] = (merges[cell] & ~(_VERT_MERGED | _VERT_RESTART)) | (
                    _VERT_MERGED | (_VERT_RESTART if flags == 3 else 0) if flags else 0)
        p.columns, p.merges = columns, merges
        paragraphs.append(p)
        start = cp + 1
    return paragraphs


def _grid(rows: list[tuple[list[str], list[int], list[int]]], number: int) -> Grid:
    """One table from its rows: cell texts, cell edges (twips) and TC merge flags."""
    edges = sorted({x for _, columns, _ in rows for x in columns})
    hairlines = [n for n in range(len(edges) - 1) if edges[n + 1] - edges[n] < _HAIRLINE]
    width = len(edges) - 1
    origins: dict[tuple[int, int], tuple[int, int]] = {}
    texts: dict[tuple[int, int], str] = {}
    for r, (cells, columns, merges) in enumerate(rows):
        for i, text in enumerate(cells):
            c0, c1 = edges.index(columns[i]), edges.index(columns[i + 1])
            flags = merges[i] if i < len(merges) else 0
            if flags & _VERT_MERGED and not flags & _VERT_RESTART and (r - 1, c0) in origins:
                origin = origins[(r - 1, c0)]
            elif flags & _MERGED and not flags & _FIRST_MERGED and (r, c0 - 1) in origins:
                origin = origins[(r, c0 - 1)]
            else:
                origin = (r, c0)
                texts[origin] = text
            for c in range(c0, max(c1, c0 + 1)):
                origins[(r, c)] = origin
    grid = [[Cell(texts.get(origins.get((r, c), (r, c)), ""), origins.get((r, c), (r, c))) for c in range(width)]
            for r in range(len(rows))]
    return compact(Grid(grid, f"doc table {number}"), hairlines)


def read(data: bytes, kind: str) -> Document:
    """The document, or `Unsupported` for what is left to LibreOffice (the caller has checked encryption)."""
    try:
        binary = _Binary(data)
        paragraphs = _paragraphs(binary)
    except Unsupported:
        raise
    except Exception as error:  # a damaged structure in any way: LibreOffice may still open the file
        raise Unsupported(f"{type(error).__name__}: {error}") from None
    lines: list[str] = []
    grids: list[Grid] = []
    rows: list[tuple[list[str], list[int], list[int]]] = []
    cells: list[str] = []
    pieces: list[str] = []
    for n, p in enumerate(paragraphs):
        if not p.in_table:
            if rows or cells or pieces:
                raise Unsupported("a table row without its end mark")
            lines.extend(line.strip() for line in p.text.split("\n"))
            continue
        if p.row_end:
            if len(p.columns) != len(cells) + 1:
                raise Unsupported("a table row whose cells and edges disagree")
            rows.append((cells, p.columns, p.merges))
            cells = []
        else:
            pieces.extend(p.text.split("\n"))
            if p.cell_end:
                cells.append(join_lines(pieces))
                pieces = []
        if p.row_end and not (n + 1 < len(paragraphs) and paragraphs[n + 1].in_table):
            grids.append(_grid(rows, len(grids) + 1))
            rows = []
    if rows or cells or pieces:
        raise Unsupported("a table without its end")
    meta = binary.meta
    return Document(format=kind, text="\n".join(line for line in lines if line), grids=grids,
                    title=meaningful_title(meta.get("title")), meta=meta)


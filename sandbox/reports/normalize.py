"""Byte-stable output: the corpus is committed, so rebuilding it must not change files that did not change.

ZIP containers (DOCX, XLSX) carry each member's write time. LibreOffice's PDFs carry the conversion time, an
ID and checksum hashed from it, and in each embedded Type 1 font a /UniqueID drawn from a counter that runs on
across every document one soffice process converts — so a PDF would depend on its place in a batch. Everything
else the renderers and LibreOffice write was found to be deterministic.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable

_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_PDF_DATE = b"D:20240101000000"


def fixed_zip(data: bytes, rewrite: dict[str, Callable[[bytes], bytes]] | None = None) -> bytes:
    """The same archive with every member's timestamp and attributes fixed, order kept; `rewrite` edits members."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = src.read(info)
            if rewrite and info.filename in rewrite:
                content = rewrite[info.filename](content)
            dst.writestr(fixed, content)
    return out.getvalue()


def _eexec(data: bytes, decrypt: bool) -> bytes:
    r, out = 55665, bytearray()
    for byte in data:
        plain = byte ^ (r >> 8) if decrypt else byte
        cipher = byte if decrypt else byte ^ (r >> 8)
        out.append(plain if decrypt else cipher)
        r = ((cipher + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


def _font_with_id(font: bytes, clear_len: int, binary_len: int, unique_id: bytes) -> bytes:
    clear, binary, rest = font[:clear_len], font[clear_len:clear_len + binary_len], font[clear_len + binary_len:]
    clear = re.sub(rb"/UniqueID \d+", b"/UniqueID " + unique_id, clear)
    private = re.sub(rb"/UniqueID \d+", b"/UniqueID " + unique_id, _eexec(binary, decrypt=True))
    return clear + _eexec(private, decrypt=False) + rest


def _renumber_type1_fonts(data: bytes) -> bytes:
    """Give the embedded Type 1 fonts /UniqueIDs counted from 1 in this file, and rebuild the xref table."""
    objects = {int(m.group(1)): m for m in re.finditer(rb"(?m)^(\d+) 0 obj\n(.*?)\nendobj", data, re.DOTALL)}
    fonts = list(re.finditer(rb"(?m)^\d+ 0 obj\n<<([^<>]*/Length1 (\d+)/Length2 (\d+)[^<>]*)>>\nstream\n",
                                    data))
    edits: list[tuple[int, int, bytes]] = []
    for n, font in enumerate(fonts, start=1):
        length = re.search(rb"/Length (\d+)( 0 R)?", font.group(1))
        assert length is not None, "a stream dictionary without /Length"  # the pattern above required Length1/2
        size = int(objects[int(length.group(1))].group(2)) if length.group(2) else int(length.group(1))
        start = font.end()
        packed = zlib.compress(_font_with_id(zlib.decompress(data[start:start + size]), int(font.group(2)),
                                             int(font.group(3)), b"%d" % (4100000 + n)), 9)
        edits.append((start, start + size, packed))
        if length.group(2):
            holder = objects[int(length.group(1))]
            edits.append((holder.start(2), holder.end(2), b"%d" % len(packed)))
        else:
            edits.append((font.start(1) + length.start(1), font.start(1) + length.end(1), b"%d" % len(packed)))
    if not edits:
        return data
    edits.sort()
    out, shifts, pos = bytearray(), [], 0
    for start, end, new in edits:
        out += data[pos:start] + new
        shifts.append((end, len(new) - (end - start)))
        pos = end
    out += data[pos:]
    moved = lambda offset: offset + sum(delta for end, delta in shifts if end <= offset)  # noqa: E731
    xref = re.search(rb"\nxref\n0 (\d+)\n", out)
    assert xref is not None, "LibreOffice's PDF without a classic xref table"
    table_start = xref.end()
    entries = [moved(int(out[table_start + 20 * i: table_start + 20 * i + 10])) if i else 0
               for i in range(int(xref.group(1)))]
    for i, offset in enumerate(entries[1:], start=1):
        out[table_start + 20 * i: table_start + 20 * i + 10] = b"%010d" % offset
    startxref = re.search(rb"startxref\n(\d+)", out)
    assert startxref is not None, "LibreOffice's PDF without startxref"
    out[startxref.start(1):startxref.end(1)] = b"%d" % (xref.start() + 1)
    return bytes(out)


def fixed_pdf(data: bytes) -> bytes:
    """The same PDF with its fonts' /UniqueIDs renumbered, its dates fixed, and its /ID and /DocChecksum
    (LibreOffice hashes them from the conversion time) derived from the content instead."""
    data = _renumber_type1_fonts(data)
    data = re.sub(rb"D:\d{14}", lambda m: _PDF_DATE[: len(m.group(0))], data)
    hashes = [m.span(1) for m in re.finditer(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>", data)]
    hashes += [m.span(1) for m in re.finditer(rb"/ID\s*\[\s*<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", data)]
    hashes += [m.span(1) for m in re.finditer(rb"/DocChecksum\s*/([0-9A-Fa-f]+)", data)]
    blanked = bytearray(data)
    for start, end in hashes:
        blanked[start:end] = b"0" * (end - start)
    digest = hashlib.md5(bytes(blanked)).hexdigest().upper().encode()
    for start, end in hashes:
        blanked[start:end] = (digest * 2)[: end - start]
    return bytes(blanked)

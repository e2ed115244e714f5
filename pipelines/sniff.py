"""The format of an input, decided from its bytes alone.

Portals serve PDFs as `.doc`, Word files as `application/octet-stream`, WPS files as `.doc`, and HTML error pages
under any name (domain.md §5 "Attachments"), so neither the extension nor the Content-Type is looked at.

Kinds: pdf, docx, xlsx, ofd, doc, wps, xls, encrypted (an Office file protected by a password: OLE2 holding an
EncryptedPackage), image, html, text, empty, unknown.
"""
from __future__ import annotations

import codecs
import re
import zipfile
from io import BytesIO

import olefile

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
# A BMP's "BM" is two common letters, so its DIB header size (one of the few defined ones) must match as well.
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}
_TEXT_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

# Tags are ASCII in every encoding a Chinese page uses (GBK trail bytes never include "<"), so the head can be read
# as Latin-1 whatever its real encoding.
_HTML_START = re.compile(
    r"^(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*<(?:!doctype\s+html|(?:html|head|body|meta|title|div|table|p|span|script|"
    r"style|link|br|font|center|form|h[1-6]|iframe)\b)",
    re.IGNORECASE | re.DOTALL,
)
_HTML_ANYWHERE = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)

# Kingsoft WPS writes its build number as a custom document property; Word files merely edited in WPS carry it too,
# which is fine: both kinds go through the same converter.
_WPS_MARKERS = (b"KSOProductBuildVer", "KSOProductBuildVer".encode("utf-16-le"))
_OLE_STREAM_KINDS = (("EncryptedPackage", "encrypted"), ("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls"))
_OLE_ENTRY_SIZE = 128  # directory entries: UTF-16 name in 64 bytes, then its byte length with the terminator

_BLANK = re.compile(rb"\s*")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_TEXT_SAMPLE = 65536
_MAX_CONTROL_SHARE = 0.02


def sniff(data: bytes) -> str:
    if _is_blank(data):
        return "empty"
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    if data.startswith(_OLE_MAGIC):
        return _ole_kind(data)
    if _is_image(data):
        return "image"
    # Some servers put a banner or a BOM before the PDF header; readers accept it within the first KB.
    if b"%PDF" in data[:1024]:
        return "pdf"
    if _is_html(data):
        return "html"
    if _is_text(data[:_TEXT_SAMPLE]):
        return "text"
    return "unknown"


def _is_blank(data: bytes) -> bool:
    start = next((len(bom) for bom, _ in _TEXT_BOMS if data.startswith(bom)), 0)
    return _BLANK.fullmatch(data, start) is not None  # no copy of a large input, stops at its first character


def _zip_names(data: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    # A truncated archive has lost its central directory, but its local headers still name the entries, and the
    # reader should get to say "truncated DOCX" rather than the input being called unknown.
    names = []
    for match in re.finditer(re.escape(_ZIP_MAGIC), data):
        start = match.start()
        length = int.from_bytes(data[start + 26:start + 28], "little")
        names.append(data[start + 30:start + 30 + length].decode("cp437", "replace"))
    return names


def _zip_kind(data: bytes) -> str:
    names = _zip_names(data)
    if any(n.startswith("word/") and n.endswith(".xml") for n in names):
        return "docx"
    if any(n.startswith("xl/") and n.endswith(".xml") for n in names):
        return "xlsx"
    # GB/T 33190 puts OFD.xml at the root; some producers write the name in another case or with a leading slash.
    if any(n.lstrip("/").lower() == "ofd.xml" for n in names):
        return "ofd"
    return "unknown"


def _ole_kind(data: bytes) -> str:
    try:
        with olefile.OleFileIO(data) as ole:
            top = {entry[0].lower() for entry in ole.listdir(streams=True, storages=True)}
            kind = next((k for stream, k in _OLE_STREAM_KINDS if stream.lower() in top), "unknown")
            if kind == "doc" and _has_wps_marker(ole):
                return "wps"
            return kind
    except Exception:  # olefile fails on damaged containers in every way, RecursionError included
        # A damaged container may still hold its directory: look for the entries themselves, not just the names.
        return next((k for stream, k in _OLE_STREAM_KINDS if _has_ole_entry(data, stream)), "unknown")


def _has_ole_entry(data: bytes, name: str) -> bool:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    length = len(encoded).to_bytes(2, "little")
    for match in re.finditer(re.escape(encoded), data):
        start = match.start()
        if start % _OLE_ENTRY_SIZE == 0 and data[start + 64:start + 66] == length:
            return True
    return False


def _has_wps_marker(ole: olefile.OleFileIO) -> bool:
    for stream in ("\x05DocumentSummaryInformation", "\x05SummaryInformation"):
        if ole.exists(stream):
            content = ole.openstream(stream).read()
            if any(marker in content for marker in _WPS_MARKERS):
                return True
    return False


def _is_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_MAGIC):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[:2] == b"BM" and len(data) > 18 and int.from_bytes(data[14:18], "little") in _BMP_DIB_SIZES


def _head_text(data: bytes) -> str:
    for bom, encoding in _TEXT_BOMS:
        if data.startswith(bom):
            return data[len(bom):1024].decode(encoding, "replace")
    return data[:1024].decode("latin-1")


def _is_html(data: bytes) -> bool:
    head = _head_text(data)
    return bool(_HTML_START.match(head) or _HTML_ANYWHERE.search(head))


def _is_text(sample: bytes) -> bool:
    for bom, encoding in _TEXT_BOMS:
        if sample.startswith(bom):
            return _control_share(sample[len(bom):].decode(encoding, "replace")) <= _MAX_CONTROL_SHARE
    if b"\x00" in sample:
        return False
    # The sample may end inside a multi-byte character, hence "replace" and a share rather than a strict decode.
    return min(_control_share(sample.decode(enc, "replace")) for enc in ("utf-8", "gb18030")) <= _MAX_CONTROL_SHARE


def _control_share(text: str) -> float:
    return len(_CONTROL.findall(text)) / len(text) if text else 1.0

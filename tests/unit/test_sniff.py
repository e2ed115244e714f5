"""Format sniffing from bytes alone, for every kind an attachment or page can be."""
from __future__ import annotations

import io
import os
import zipfile

import openpyxl
import pytest
from PIL import Image

from pipelines.sniff import sniff
from tests.support.format_samples import ole_file, report_docx, word_fib


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, kind)
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


def test_pdf_by_header_even_after_junk():
    pdf = _image("PDF")
    assert pdf.startswith(b"%PDF")
    assert sniff(pdf) == "pdf"
    assert sniff(b"\r\n<!-- served by portal -->\r\n" + pdf) == "pdf"
    assert sniff(b"x" * 1100 + pdf) != "pdf"  # the header must sit within the first KB


def test_office_open_xml_and_ofd_by_their_parts():
    docx_bytes = report_docx()
    assert sniff(docx_bytes) == "docx"
    assert sniff(_xlsx()) == "xlsx"
    assert sniff(_zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<x/>"})) == "ofd"
    assert sniff(_zip({"/ofd.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<x/>"})) == "ofd"
    assert sniff(_zip({"readme.txt": b"hello"})) == "unknown"


def test_truncated_docx_is_still_named_docx_so_its_reader_can_say_so():
    data = report_docx()
    assert sniff(data[: len(data) * 2 // 3]) == "docx"


def test_ole2_kinds_by_their_streams():
    assert sniff(ole_file({"WordDocument": word_fib(), "1Table": b"t"})) == "doc"
    assert sniff(ole_file({"Workbook": b"w"})) == "xls"
    assert sniff(ole_file({"Book": b"b"})) == "xls"  # Excel 5/95
    assert sniff(ole_file({"EncryptionInfo": b"i", "EncryptedPackage": b"p"})) == "encrypted"
    assert sniff(ole_file({"PowerPoint Document": b"p"})) == "unknown"


@pytest.mark.parametrize("marker", [b"KSOProductBuildVer", "KSOProductBuildVer".encode("utf-16-le")])
def test_wps_by_the_kingsoft_property(marker):
    summary = b"\xfe\xff\x00\x00" + marker + b"\x00\x002052-11.1.0.14036"
    assert sniff(ole_file({"WordDocument": word_fib(), "\x05DocumentSummaryInformation": summary})) == "wps"


def test_damaged_ole2_found_by_its_directory_entries():
    data = bytearray(ole_file({"WordDocument": word_fib()}))
    data[48:52] = (77).to_bytes(4, "little")  # the directory pointer aims past the end of the file
    assert sniff(bytes(data)) == "doc"


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"])
def test_images(kind):
    assert sniff(_image(kind)) == "image"


def test_text_that_starts_with_bm_is_not_a_bitmap():
    assert sniff("BM公司2023年政府信息公开工作年度报告\n".encode()) == "text"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><head><title>x</title></head></html>",
        b"\xef\xbb\xbf\r\n  <html lang='zh'><body>x</body></html>",
        '<html><head><title>年报</title></head><body>政府信息公开</body></html>'.encode("gbk"),
        '<meta http-equiv="Content-Type"><div class="content">二、主动公开</div>'.encode("gb18030"),
        "<table><tr><td>自然人</td></tr></table>".encode("utf-16"),
        b"<!-- generated -->\n<p>\xd5\xfe\xb8\xae</p>",
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">\n<html/>',
        b"Warning: mysql_connect() failed\n<html><body>x</body></html>",
    ],
)
def test_html_in_any_encoding(data):
    assert sniff(data) == "html"


def test_xml_that_is_not_html():
    assert sniff(b'<?xml version="1.0"?><datastore><totalrecord>3</totalrecord></datastore>') == "text"


@pytest.mark.parametrize(
    "data",
    [
        "政府信息公开工作年度报告\n一、总体情况\n\t自然人\t商业企业\n".encode("gbk"),
        "政府信息公开工作年度报告\n".encode(),
        "政府信息公开工作年度报告\n".encode("utf-16"),
        b"plain ascii, with a tab\tand a form feed\f",
    ],
)
def test_text(data):
    assert sniff(data) == "text"


@pytest.mark.parametrize("data", [b"", b" \r\n\t ", b"\xef\xbb\xbf\n"])
def test_empty(data):
    assert sniff(data) == "empty"


def test_binary_is_unknown():
    assert sniff(os.urandom(4096)) == "unknown"
    assert sniff(b"\x00" * 64) == "unknown"
    assert sniff(bytes(range(1, 32)) * 20) == "unknown"  # no NUL, all control characters

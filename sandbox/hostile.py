"""Hostile inputs, generated: what a malicious or broken portal may serve (issue 19). Each function returns bytes.
Some start from documents of the tests' fixture corpus (tests/fixtures/docs)."""
from __future__ import annotations

import io
import itertools
from pathlib import Path

from sandbox.poison import html_span_bomb, xlsx_damaged_deflate, xlsx_far_cells, xlsx_zip_bomb, zip_with

DOCS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "docs"
BASE_DOCX = DOCS / "gen11-2021.docx"


def docx_zip_bomb(megabytes: int = 300) -> bytes:
    """A DOCX whose document part unzips to `megabytes` MB of blank space (a few hundred KB on the wire)."""
    return zip_with("word/document.xml", itertools.repeat(b" " * 2**20, megabytes), BASE_DOCX.read_bytes())


def docx_many_nodes(megabytes: int = 150) -> bytes:
    """Under the zip limit but a document part of tens of millions of elements: its tree alone needs gigabytes."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body>')
    paragraph = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    body = paragraph * (2**20 // len(paragraph))
    parts = itertools.chain([head], itertools.repeat(body, megabytes), [b"</w:body></w:document>"])
    return zip_with("word/document.xml", parts, BASE_DOCX.read_bytes())


def docx_xml_bomb() -> bytes:
    """Billion laughs in the document part."""
    entities = '<!ENTITY a0 "laugh">' + "".join(f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">'
                                                for n in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document xmlns:w="http://schemas.'
           'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&a9;</w:t></w:r></w:p></w:body>'
           '</w:document>').encode()
    return zip_with("word/document.xml", [xml], BASE_DOCX.read_bytes())


def pdf_blank_pages(pages: int = 3000) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def pdf_large_report(pages: int = 20, megabytes: int = 30) -> bytes:
    """A real report PDF taken to `pages` pages (its own pages repeated) and `megabytes` MB (an incompressible
    attachment): what a large genuine report weighs, which every limit must let through."""
    import os

    from pypdf import PdfReader, PdfWriter

    source = PdfReader(DOCS / "gen13-2021.pdf")
    writer = PdfWriter()
    writer.append(source)
    while len(writer.pages) < pages:
        writer.add_page(source.pages[len(writer.pages) % len(source.pages)])
    writer.add_attachment("scan.bin", os.urandom(megabytes * 2**20))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_scanned_pages() -> bytes:
    """Blank pages under the page limit: each is OCRed (a few seconds together)."""
    return pdf_blank_pages(40)


INPUTS = {"xlsx_far_cells": xlsx_far_cells, "xlsx_damaged_deflate": xlsx_damaged_deflate,
          "docx_zip_bomb": docx_zip_bomb, "xlsx_zip_bomb": xlsx_zip_bomb, "docx_many_nodes": docx_many_nodes,
          "docx_xml_bomb": docx_xml_bomb, "html_span_bomb": html_span_bomb, "pdf_blank_pages": pdf_blank_pages,
          "pdf_scanned_pages": pdf_scanned_pages, "pdf_large_report": pdf_large_report}

# input, the limits its worker gets, the error kind expected (None: a correct result), a word of the error.
CASES = [
    ("xlsx_far_cells", {}, "limit", "NIANBAO_TABLE_MAX_CELLS"),
    ("xlsx_far_cells", {"table_cells": 10**12}, "crashed", "SIGABRT"),  # past the check: calamine aborts
    ("xlsx_damaged_deflate", {}, None, None),  # its sheet is read, its damaged properties left out
    ("docx_zip_bomb", {}, "limit", "NIANBAO_ZIP_MAX_MB"),
    ("xlsx_zip_bomb", {}, "limit", "NIANBAO_ZIP_MAX_MB"),
    ("docx_xml_bomb", {}, "unreadable", "amplification"),
    ("html_span_bomb", {}, "limit", "NIANBAO_TABLE_MAX_CELLS"),
    ("pdf_blank_pages", {}, "limit", "NIANBAO_PDF_MAX_PAGES"),
    ("pdf_scanned_pages", {"ocr_seconds": 2}, "limit", "NIANBAO_OCR_SECONDS"),
    ("pdf_scanned_pages", {"seconds": 2}, "timeout", "exceeded wall time 2 s (NIANBAO_EXTRACT_SECONDS)"),
    ("docx_many_nodes", {"memory_mb": 400}, "memory", "exceeded memory limit 400 MB"),  # a tree past the limit
    ("pdf_large_report", {}, None, None),  # 20 pages, 30 MB: a real report passes every limit
]


def probe(name: str, **limits: float) -> dict:
    """Extract one input in a pool of one worker, in a process of its own so that the worker's peak memory
    (RUSAGE_CHILDREN) is that input's alone: the result's essentials, its time and the worker's peak RSS."""
    import json
    import subprocess
    import sys

    code = ("import json, resource, sys, time\n"
            "from pipelines.limits import Limits\n"
            "from pipelines.workers import ExtractionPool\n"
            f"from sandbox.hostile import INPUTS\n"
            f"data = INPUTS[{name!r}]()\n"
            f"with ExtractionPool(1, Limits(**{limits!r})) as pool:\n"
            "    started = time.monotonic()\n"
            f"    result = pool(data, {name!r}).as_dict()\n"
            "    seconds = time.monotonic() - started\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(json.dumps({'error_kind': result.get('error_kind'), 'error': result.get('error'),"
            " 'is_report': result.get('is_report'), 'bytes': len(data), 'seconds': round(seconds, 2),"
            " 'peak_mb': round(peak)}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parent.parent, check=True)
    return json.loads(done.stdout.splitlines()[-1])

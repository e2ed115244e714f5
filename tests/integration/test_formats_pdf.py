"""The PDF reader on reports that LibreOffice prints from the national-form DOCX: tables breaking across pages."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.document import ExtractionError, Grid
from pipelines.formats import docx, image, office, pdf
from tests.support.format_samples import active_2021, applications_2021, expand, report_docx, review
from tests.support.pictures import needs_font, needs_ocr, text_page

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed: it prints the test PDFs"
)


def cells(grid: Grid) -> list[list[tuple[str, tuple[int, int]]]]:
    return [[(cell.text, cell.origin) for cell in row] for row in grid.rows]


def to_pdf(source: bytes) -> bytes:
    return office.convert(source, ".docx", ".pdf", "writer_pdf_Export")


# Layouts whose page breaks cut the tables in each way a PDF cuts a table (checked against LibreOffice 7.4).
LAYOUTS = {
    # 三、本年度办理结果 and （三）不予公开 go on over two page breaks, their text on the first page only.
    "plain": dict(prose_before_applications=6),
    # Heading rows repeated on every page; section 四's two-row heading cells break with their text below.
    "repeated header": dict(prose_before_applications=4, header_rows=3),
    # Rows may break: labels run on over the break, values stay above it.
    "rows split": dict(prose_before_applications=1, rows_may_split=True),
    # Section 三 starts at the foot of a page: its heading rows are cut ("自然" | "人").
    "heading split": dict(prose_before_applications=1, font_size=12),
    # 三、本年度办理结果 starts in the last row of a page, its text on the next page.
    "label below": dict(prose_before_applications=1),
    # 三、本年度办理结果 itself wraps over the break ("三、本年" | "度办理结果").
    "label split": dict(prose_before_applications=6, font_size=12),
}


@pytest.fixture(scope="module")
def printed() -> dict[str, tuple[bytes, bytes]]:
    """(docx, pdf) per layout."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed: it prints the test PDFs")
    sources = {name: report_docx(**layout) for name, layout in LAYOUTS.items()}
    return {name: (source, to_pdf(source)) for name, source in sources.items()}


@needs_libreoffice
@pytest.mark.parametrize("case", LAYOUTS)
def test_tables_across_pages_come_out_whole_with_their_merges(printed, case):
    source, data = printed[case]
    document = pdf.read(data)
    assert len(document.grids) == 3
    assert cells(document.grids[0]) == expand(active_2021())
    assert cells(document.grids[1]) == expand(applications_2021())
    assert cells(document.grids[2]) == expand(review())
    assert any(g.source.startswith("pdf pages") for g in document.grids)
    # Paragraphs rejoined over lines and pages (a wrapped centred title, lines starting with "90.63%。", an e-mail
    # address, quotation marks), the "- 2 -" footers dropped.
    assert document.text == docx.read(source).text


@needs_libreoffice
def test_pages_turned_by_rotate_read_as_their_text_runs(printed):
    """A page shown turned (/Rotate 90, as for a landscape table) is read in the direction its text runs."""
    import pypdf

    source, data = printed["plain"]
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        page.rotate(90)
    turned = io.BytesIO()
    writer.write(turned)
    document = pdf.read(turned.getvalue())
    assert document.text == docx.read(source).text
    assert cells(document.grids[1]) == expand(applications_2021())


@needs_libreoffice
def test_labels_broken_over_lines_come_out_intact(printed):
    grid = pdf.read(printed["plain"][1]).grids[1]
    # The PDF prints "商业企\n业" and "法律服\n务机构" in their narrow columns.
    assert grid.texts()[2][4:8] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构"]
    assert grid.rows[26][0].origin == (5, 0)  # 三、本年度办理结果 still spans three pages' worth of rows


@needs_libreoffice
def test_document_properties(printed):
    document = pdf.read(printed["plain"][1])
    assert document.format == "pdf"
    assert document.title == "岚皋县行政审批服务局2023年政府信息公开工作年度报告"
    assert document.meta["producer"].startswith("LibreOffice") and document.meta["created"][:2] == "20"
    assert document.warnings == []


def _export_with_options(source: bytes, options: dict, tmp_path: Path, name: str) -> bytes:
    """A PDF exported by the soffice command line with export options (encryption) the converter does not set."""
    (tmp_path / f"{name}.docx").write_bytes(source)
    typed = {k: {"type": "boolean" if isinstance(v, bool) else "string", "value": str(v).lower()
                 if isinstance(v, bool) else v} for k, v in options.items()}
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--convert-to", f"pdf:writer_pdf_Export:{json.dumps(typed)}", "--outdir", str(tmp_path),
         str(tmp_path / f"{name}.docx")],
        check=True, capture_output=True, timeout=120,
    )
    return (tmp_path / f"{name}.pdf").read_bytes()


@needs_libreoffice
def test_encrypted_pdfs(tmp_path):
    source = report_docx(prose_before_applications=0)
    locked = _export_with_options(source, {"EncryptFile": True, "DocumentOpenPassword": "secret"}, tmp_path, "a")
    with pytest.raises(ExtractionError, match=r"PDF is encrypted \(password required\)"):
        pdf.read(locked)
    # Restrictions with an owner password only: the empty user password opens it, as any viewer would.
    restricted = _export_with_options(source, {"RestrictPermissions": True, "PermissionPassword": "owner"},
                                      tmp_path, "b")
    assert b"/Encrypt" in restricted
    assert cells(pdf.read(restricted).grids[1]) == expand(applications_2021())


@needs_libreoffice
def test_truncated_pdf(printed):
    data = printed["plain"][1]
    with pytest.raises(ExtractionError, match="PDF is damaged"):
        pdf.read(data[: len(data) // 2])


def test_garbage_after_the_header():
    with pytest.raises(ExtractionError, match="PDF is damaged"):
        pdf.read(b"%PDF-1.4\n" + b"garbage " * 50)


def _scanned_pdf() -> bytes:
    out = io.BytesIO()
    text_page(["政府信息公开工作年度报告", "一、总体情况"], "L").save(out, "PDF", resolution=150)
    return out.getvalue()


@needs_ocr
@needs_font
def test_scanned_pdf_is_read_by_ocr():
    document = pdf.read(_scanned_pdf())
    assert "政府信息公开工作年度报告" in document.text and "总体情况" in document.text
    assert document.warnings == ["scanned PDF: text by OCR, tables not extracted"]
    assert document.grids == []


@needs_font
def test_scanned_pdf_without_ocr_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(image, "ocr_available", lambda: False)
    with pytest.raises(ExtractionError, match=r"scanned PDF.*tesseract.*chi_sim"):
        pdf.read(_scanned_pdf())

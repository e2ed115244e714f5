"""DOC and WPS: the direct Word 97 reader, and the long-lived LibreOffice converter for what it leaves out."""
from __future__ import annotations

import io
import os
import shutil
import signal
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT

from pipelines.document import ExtractionError, Grid
from pipelines.formats import office, word97 as direct
from pipelines.sniff import sniff
from tests.format_samples import active_2021, applications_2021, expand, ole_file, report_docx, review, word_fib

needs_libreoffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
WPS_BUILD = {"KSOProductBuildVer": "2052-11.1.0.14036"}


def cells(grid: Grid) -> list[list[tuple[str, tuple[int, int]]]]:
    return [[(cell.text, cell.origin) for cell in row] for row in grid.rows]


@pytest.fixture(scope="module")
def word97() -> dict[str, bytes]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    return {
        "doc": office.convert(report_docx(), ".docx", ".doc", "MS Word 97"),
        "wps": office.convert(report_docx(custom_properties=WPS_BUILD), ".docx", ".doc", "MS Word 97"),
    }


def _leave_to_libreoffice(data: bytes, kind: str):
    raise direct.Unsupported("left to LibreOffice by the test")


@pytest.fixture
def through_libreoffice(monkeypatch):
    """Documents the direct reader leaves to LibreOffice (list numbering, text boxes, nested tables, Word 6)."""
    monkeypatch.setattr(direct, "read", _leave_to_libreoffice)


@needs_libreoffice
@pytest.mark.parametrize("path", ["direct", "libreoffice"])
def test_doc_tables_keep_their_merges(word97, path, request):
    if path == "libreoffice":
        request.getfixturevalue("through_libreoffice")
    assert sniff(word97["doc"]) == "doc"
    document = office.read_doc(word97["doc"])
    assert document.format == "doc"
    assert document.title == "岚皋县行政审批服务局2023年政府信息公开工作年度报告"
    assert cells(document.grids[0]) == expand(active_2021())
    assert cells(document.grids[1]) == expand(applications_2021())
    # LibreOffice's Word 97 round trip leaves a 1-twip grid column in section 四: it must not show.
    assert cells(document.grids[2]) == expand(review())
    assert document.text.startswith("岚皋县行政审批服务局2023年政府信息公开工作年度报告\n一、总体情况\n")


def _sections_and_tabs() -> bytes:
    """A landscape section for a table, section breaks (which end paragraphs in a Word 97 file) and a tab."""
    document = docx.Document()
    document.add_paragraph("一、总体情况")
    document.add_paragraph("第一节正文。")
    document.add_section().orientation = WD_ORIENT.LANDSCAPE
    document.add_paragraph("二、主动公开政府信息情况")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["规章", "0"], ["行政规范性文件", "3"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_section()
    document.add_paragraph("三、收到和处理\t申请情况")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@needs_libreoffice
@pytest.mark.parametrize("sample", ["report", "sections"])
def test_the_direct_reader_gives_what_libreoffice_gives(word97, monkeypatch, sample):
    data = word97["wps"] if sample == "report" else office.convert(_sections_and_tabs(), ".docx", ".doc", "MS Word 97")
    direct_read = office.read_wps(data)
    monkeypatch.setattr(direct, "read", _leave_to_libreoffice)
    converted = office.read_wps(data)
    assert direct_read.text == converted.text and direct_read.title == converted.title
    assert [cells(g) for g in direct_read.grids] == [cells(g) for g in converted.grids]
    assert direct_read.meta == converted.meta


@needs_libreoffice
def test_automatic_list_numbers_go_through_libreoffice():
    """Word's list labels are not in the text: such a document is converted, and its labels written out."""
    from tests.test_formats_docx import _numbered_document

    numbered = office.convert(_numbered_document(), ".docx", ".doc", "MS Word 97")
    with pytest.raises(direct.Unsupported, match="list numbering"):
        direct.read(numbered, "doc")
    assert office.read_doc(numbered).text.split("\n")[:2] == ["1、总体情况", "（1）主动公开情况"]


@needs_libreoffice
def test_wps_file(word97):
    assert sniff(word97["wps"]) == "wps"
    document = office.read_wps(word97["wps"])
    assert document.format == "wps"
    assert cells(document.grids[1]) == expand(applications_2021())


@needs_libreoffice
def test_one_soffice_serves_a_batch(word97, through_libreoffice):
    """The same soffice converts every document (throughput is measured in bench/extraction.py)."""
    office.read_doc(word97["doc"])
    worker = office._converter._worker
    for _ in range(5):
        office.read_doc(word97["doc"])
    assert office._converter._worker is worker and worker.poll() is None


@needs_libreoffice
def test_timeout_kills_the_worker_and_the_next_call_starts_another(word97, through_libreoffice):
    with pytest.raises(ExtractionError, match="did not convert the document within"):
        office.convert(word97["doc"], ".doc", ".docx", office.DOCX_FILTER, timeout=0.001)
    assert office.read_doc(word97["doc"]).format == "doc"


def _soffice_pids(group: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group and "soffice" in stat.with_name("comm").read_text():
            pids.append(int(stat.parent.name))
    return pids


@needs_libreoffice
def test_a_soffice_that_died_while_idle_is_replaced(word97, through_libreoffice):
    office.read_doc(word97["doc"])
    worker = office._converter._worker
    pids = _soffice_pids(worker.pid)
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert cells(office.read_doc(word97["doc"]).grids[1]) == expand(applications_2021())
    assert office._converter._worker is not worker


@needs_libreoffice
def test_without_uno_each_file_goes_through_the_command_line(word97, through_libreoffice, monkeypatch):
    monkeypatch.setattr(office, "_uno_python", lambda: None)
    assert cells(office.read_doc(word97["doc"]).grids[1]) == expand(applications_2021())


def test_encrypted_doc_is_refused_before_conversion():
    with pytest.raises(ExtractionError, match=r"DOC is encrypted \(password required\)"):
        office.read_doc(ole_file({"WordDocument": word_fib(encrypted=True)}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ole_file({"Workbook": b"w"}), "WPS has no WordDocument stream"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "WPS is corrupt or truncated"),
    ],
)
def test_not_a_word_file(data, message):
    with pytest.raises(ExtractionError, match=message):
        office.read_wps(data)


@needs_libreoffice
def test_garbage_word_stream_is_a_conversion_error():
    with pytest.raises(ExtractionError, match="LibreOffice could not convert the document"):
        office.read_doc(ole_file({"WordDocument": word_fib()}))


def test_missing_libreoffice_is_named(monkeypatch):
    monkeypatch.setattr(office, "_soffice", lambda: None)
    with pytest.raises(ExtractionError, match=r"need LibreOffice \(Debian package libreoffice-writer-nogui\)"):
        office.read_doc(ole_file({"WordDocument": word_fib()}))

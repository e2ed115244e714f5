"""DOC and WPS: the direct Word 97 reader, and the long-lived LibreOffice converter for what it leaves out."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from PIL import Image

from pipelines.document import ExtractionError, Grid
from pipelines.formats import office, word97 as direct
from pipelines.sniff import sniff
from tests.support.crawls import ROOT
from tests.support.format_samples import (
    active_2021,
    applications_2021,
    expand,
    numbered_document,
    ole_file,
    report_docx,
    review,
    word_fib,
)

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
def test_doc_tables_keep_their_merges(word97, path, request, monkeypatch):
    if path == "libreoffice":
        request.getfixturevalue("through_libreoffice")
    else:  # no way round the direct reader
        monkeypatch.setattr(office, "convert", lambda *args, **kwargs: pytest.fail("converted by LibreOffice"))
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


def _fields_pictures_merges() -> bytes:
    """A hyperlink field (its code must not show), a picture, a header, a no-break space, a table merged both ways
    with a two-paragraph cell."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "页眉：某某局"
    document.add_paragraph("一、总体情况")
    paragraph = document.add_paragraph("详见网站")
    for run in ('<w:fldChar w:fldCharType="begin"/>',
                ('<w:instrText xml:space="preserve"> HYPERLINK "http://www.gov.cn" '
                "</w:instrText>"), '<w:fldChar w:fldCharType="separate"/>', "<w:t>中国政府网</w:t>",
                '<w:fldChar w:fldCharType="end"/>'):
        paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}>{run}</w:r>'))
    paragraph.add_run("。共 1,234 件；比上年增长 5.6%。")
    picture = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(picture, "PNG")
    document.add_paragraph().add_run().add_picture(io.BytesIO(picture.getvalue()))
    document.add_paragraph("二、主动公开\u00a0情况")
    table = document.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    table.cell(0, 0).merge(table.cell(0, 1)).text = "合并标题"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "纵向"
    for (r, c), text in {(0, 2): "总计", (1, 1): "1", (1, 2): "2", (2, 1): "3", (2, 2): "4"}.items():
        table.cell(r, c).text = text
    table.cell(2, 2).add_paragraph("第二段")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@needs_libreoffice
@pytest.mark.parametrize("sample", ["report", "sections", "fields"])
def test_the_direct_reader_gives_what_libreoffice_gives(word97, monkeypatch, sample):
    samples = {"sections": _sections_and_tabs, "fields": _fields_pictures_merges}
    data = word97["wps"] if sample == "report" else office.convert(samples[sample](), ".docx", ".doc", "MS Word 97")
    direct_read = direct.read(data, "wps")  # raises Unsupported if it would leave the document to LibreOffice
    monkeypatch.setattr(direct, "read", _leave_to_libreoffice)
    converted = office.read_wps(data)
    assert direct_read.text == converted.text and direct_read.title == converted.title
    assert [cells(g) for g in direct_read.grids] == [cells(g) for g in converted.grids]
    assert direct_read.meta == converted.meta


@needs_libreoffice
def test_automatic_list_numbers_go_through_libreoffice():
    """Word's list labels are not in the text: such a document is converted, and its labels written out."""
    numbered = office.convert(numbered_document(), ".docx", ".doc", "MS Word 97")
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


def _group(group: int) -> list[int]:
    """The live processes of a process group (zombies left to a reaper are not running anything)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _soffice_pids(group: int) -> list[int]:
    return [pid for pid in _group(group) if "soffice" in Path(f"/proc/{pid}/comm").read_text()]


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


# Converts once (the UNO worker and soffice started), says where they are, and is SIGKILLed in its second
# conversion, once the document is handed to the worker.
CONVERTING_WHEN_KILLED = """
import os, signal, sys
from pipelines.formats import office
data = open(sys.argv[1], "rb").read()
office.convert(data, ".doc", ".docx", office.DOCX_FILTER)
print(office._converter._worker.pid, office._converter._profile, flush=True)
office._Converter._read_reply = lambda self, timeout: os.kill(os.getpid(), signal.SIGKILL)
office.convert(data, ".doc", ".docx", office.DOCX_FILTER)
"""

# Converts once and waits to be killed.
IDLE_WHEN_KILLED = """
import sys, time
from pipelines.formats import office
office.convert(open(sys.argv[1], "rb").read(), ".doc", ".docx", office.DOCX_FILTER)
print(office._converter._worker.pid, office._converter._profile, flush=True)
time.sleep(600)
"""


def _start(script: str, word97: dict[str, bytes], tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    doc = tmp_path / "report.doc"
    doc.write_bytes(word97["doc"])
    process = subprocess.Popen([sys.executable, "-c", script, str(doc)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    worker, profile = process.stdout.readline().split()
    assert _group(int(worker)) and Path(profile).is_dir()
    return process, int(worker), Path(profile)


def _gone(worker: int, profile: Path, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while (_group(worker) or profile.exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _group(worker) and not profile.exists()


@needs_libreoffice
@pytest.mark.slow
def test_libreoffice_dies_with_a_process_killed_while_converting(word97, tmp_path):
    process, worker, profile = _start(CONVERTING_WHEN_KILLED, word97, tmp_path)
    assert process.wait(timeout=300) == -signal.SIGKILL
    assert _gone(worker, profile)  # the UNO worker, soffice and soffice.bin ended; the profile removed


@needs_libreoffice
@pytest.mark.slow
def test_libreoffice_dies_with_an_idle_process_killed(word97, tmp_path):
    process, worker, profile = _start(IDLE_WHEN_KILLED, word97, tmp_path)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _gone(worker, profile)


@needs_libreoffice
@pytest.mark.slow
def test_profiles_whose_owners_were_killed_are_removed_when_a_converter_starts(word97, tmp_path):
    """The owner and its LibreOffice killed together, nothing left to remove the profile: the next converter
    does. A live owner's profile stays."""
    process, worker, profile = _start(IDLE_WHEN_KILLED, word97, tmp_path)
    os.killpg(worker, signal.SIGKILL)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while _group(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert profile.is_dir()  # left behind
    alive = Path(tempfile.mkdtemp(prefix=f"nianbao-lo-{os.getpid()}-"))
    try:
        converter = office._Converter()
        converter.convert(tmp_path / "report.doc", tmp_path / "report.docx", office.DOCX_FILTER, 60)
        converter.close()
        assert not profile.exists()
        assert alive.is_dir()
    finally:
        shutil.rmtree(alive)

"""The OFD reader on OFDs made from the fixture PDFs (sandbox.reports.ofd_doc) and on hand-written OFD packages."""
from __future__ import annotations

import io
import zipfile

import pytest

from pipelines.document import ExtractionError
from pipelines.extract import extract
from pipelines.formats import ofd, pdf
from tests.support import FIXTURES

DOCS = FIXTURES / "docs"
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _package(pages: list[str], template: str | None = None, title: str = "测试报告") -> bytes:
    common = '<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
    if template is not None:
        common += '<ofd:TemplatePage ID="1" BaseLoc="Tpl/Content.xml"/>'
    members = {
        "OFD.xml": f'<ofd:OFD {NS} Version="1.0"><ofd:DocBody><ofd:DocInfo><ofd:Title>{title}</ofd:Title>'
                   "</ofd:DocInfo><ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {NS}><ofd:CommonData>{common}</ofd:CommonData><ofd:Pages>"
                              + "".join(f'<ofd:Page ID="{10 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
                                        for n in range(len(pages))) + "</ofd:Pages></ofd:Document>",
    }
    for n, body in enumerate(pages):
        uses = '<ofd:Template TemplateID="1"/>' if template is not None else ""
        members[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f"<ofd:Page {NS}>{uses}<ofd:Content><ofd:Layer>{body}</ofd:Layer></ofd:Content></ofd:Page>")
    if template is not None:
        members["Doc_0/Tpl/Content.xml"] = (f"<ofd:Page {NS}><ofd:Content><ofd:Layer>{template}</ofd:Layer>"
                                            "</ofd:Content></ofd:Page>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def _text(x: float, y: float, text: str, size: float = 5.6, delta: str | None = None, ctm: str | None = None) -> str:
    step = f' DeltaX="{delta}"' if delta else ""
    transform = f' CTM="{ctm}"' if ctm else ""
    return (f'<ofd:TextObject ID="1" Boundary="{x} {y} 150 10" Size="{size}"{transform}>'
            f'<ofd:TextCode X="0" Y="{size}"{step}>{text}</ofd:TextCode></ofd:TextObject>')


def _rule(x0: float, y0: float, x1: float, y1: float) -> str:
    return (f'<ofd:PathObject ID="2" Boundary="{min(x0, x1)} {min(y0, y1)} {abs(x1 - x0) or 0.1} '
            f'{abs(y1 - y0) or 0.1}"><ofd:AbbreviatedData>M 0 0 L {abs(x1 - x0)} {abs(y1 - y0)}'
            "</ofd:AbbreviatedData></ofd:PathObject>")


@pytest.mark.parametrize("stem", ["seed000", "seed002", "gen14-2021", "gen28-2019"])
def test_ofd_made_from_a_pdf_reads_as_that_pdf(stem):
    """Same prose, same tables (both the stitched section 三 table and the merged headings) as the PDF it came from."""
    from_ofd = ofd.read((DOCS / f"{stem}.ofd").read_bytes())
    from_pdf = pdf.read((DOCS / f"{stem}.pdf").read_bytes())
    assert from_ofd.format == "ofd" and from_ofd.title == from_pdf.title
    assert [len(g.rows) for g in from_ofd.grids] == [len(g.rows) for g in from_pdf.grids]
    assert [[[c.origin for c in row] for row in g.rows] for g in from_ofd.grids] == \
        [[[c.origin for c in row] for row in g.rows] for g in from_pdf.grids]
    assert any("pages" in g.source for g in from_ofd.grids)  # the application table runs over a page break


def test_glyph_steps_transform_and_templates():
    cells = "".join(_rule(20, y, 120, y) for y in (50, 60, 70)) + "".join(_rule(x, 50, x, 70) for x in (20, 70, 120))
    body = (cells + _text(20, 20, "一、总体情况", delta="g 5 5.6")
            # Half-size glyphs drawn at twice the size by the object's CTM.
            + _text(20, 30, "（一）新收申请", size=2.8, delta="g 6 2.8", ctm="2 0 0 2 0 0")
            + _text(22, 51, "行政许可", delta="g 3 5.6") + _text(72, 51, "+4277",
                    delta="4.7 g 3 2.8")  # a "+" wider than a digit: no gap
            + _text(22, 61, "行政处罚", delta="g 3 5.6") + _text(72, 61, "12", delta="2.8"))
    doc = ofd.read(_package([body, body], template=_text(100, 285, "第 1 页")))
    assert doc.text.split("\n")[:2] == ["一、总体情况", "（一）新收申请"]
    assert "页" not in doc.text  # the template's page number is page furniture, like a PDF's
    # Text above the table on the second page: its table is a table of its own, not the first one going on.
    assert [g.texts() for g in doc.grids] == [[["行政许可", "+4277"], ["行政处罚", "12"]]] * 2
    assert [g.source for g in doc.grids] == ["ofd page 1", "ofd page 2"]
    assert doc.title == "测试报告"


def test_damaged_ofds_say_so():
    good = (DOCS / "seed000.ofd").read_bytes()
    with pytest.raises(ExtractionError, match="OFD is damaged or truncated"):
        ofd.read(good[: len(good) // 2])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist() if n != "Doc_0/Document.xml"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    with pytest.raises(ExtractionError, match="OFD is damaged"):
        ofd.read(out.getvalue())
    broken = _text(20, 20, "二、主动公开", delta="g x 5.6")  # a malformed step list spoils its page only
    doc = ofd.read(_package([_text(20, 20, "一、总体情况"), broken]))
    assert doc.text == "一、总体情况" and doc.warnings == [("OFD page 2 unreadable, left out (ValueError: "
                                                         "could not convert string to float: 'x')")]
    with pytest.raises(ExtractionError, match="OFD has no text"):
        ofd.read(_package(['<ofd:ImageObject ID="3" Boundary="0 0 210 297" ResourceID="9"/>']))


def test_an_ofd_report_is_extracted_like_its_pdf():
    report = extract((DOCS / "seed001.ofd").read_bytes(), "seed001.ofd")
    twin = extract((DOCS / "seed001.pdf").read_bytes(), "seed001.pdf")
    assert report.format == "ofd" and report.is_report
    assert report.fields == twin.fields and report.agency == twin.agency and report.year == twin.year

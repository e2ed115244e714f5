"""OFD (GB/T 33190) renderings of a report, made from its PDF the way OFD converters work from a print stream.

Each run of glyphs (one font, one size, one baseline) becomes a TextObject whose TextCode places the glyphs with
DeltaX steps; each ruling becomes a PathObject. Glyphs and rulings are read with pdfplumber (pdfminer), not with the
PDFium path the extractor uses, so an OFD fixture does not inherit the extractor's own reading of the PDF. Page
numbers go into a template page shared by every page, as OFD producers put running furniture there.
"""
from __future__ import annotations

import io
import itertools
import zipfile
from xml.sax.saxutils import escape, quoteattr

import pdfplumber

from sandbox.reports.normalize import fixed_zip

_NS = "http://www.ofdspec.org/2016"
_MM_PER_PT = 25.4 / 72
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def _mm(value: float) -> str:
    return f"{value * _MM_PER_PT:.3f}".rstrip("0").rstrip(".")


def _runs(chars: list[dict]) -> list[list[dict]]:
    runs: list[list[dict]] = []
    for char in chars:
        last = runs[-1][-1] if runs else None
        if (last is not None and char["fontname"] == last["fontname"] and char["size"] == last["size"]
                and abs(char["bottom"] - last["bottom"]) < 0.01 and char["x0"] >= last["x0"]):
            runs[-1].append(char)
        else:
            runs.append([char])
    return runs


class _Ids:
    def __init__(self) -> None:
        self.last = 0
        self.fonts: dict[str, int] = {}

    def next(self) -> int:
        self.last += 1
        return self.last

    def font(self, name: str) -> int:
        if name not in self.fonts:
            self.fonts[name] = self.next()
        return self.fonts[name]


def _text_object(run: list[dict], ids: _Ids) -> str:
    x0, x1 = run[0]["x0"], max(c["x1"] for c in run)
    top, bottom = min(c["top"] for c in run), max(c["bottom"] for c in run)
    deltas = " ".join(_mm(b["x0"] - a["x0"]) for a, b in itertools.pairwise(run))
    text = "".join(c["text"] for c in run)
    return (f'<ofd:TextObject ID="{ids.next()}" Boundary="{_mm(x0)} {_mm(top)} {_mm(x1 - x0)} {_mm(bottom - top)}" '
            f'Font="{ids.font(run[0]["fontname"])}" Size="{_mm(run[0]["size"])}">'
            f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{_mm(run[0]["bottom"] - top)}"'
            + (f' DeltaX="{deltas}"' if deltas else "") + f">{escape(text)}</ofd:TextCode></ofd:TextObject>")


def _path_object(edge: dict, ids: _Ids) -> str:
    x0, top = edge["x0"], edge["top"]
    width, height = edge["x1"] - x0, edge["bottom"] - top
    return (f'<ofd:PathObject ID="{ids.next()}" Boundary="{_mm(x0)} {_mm(top)} {_mm(width)} {_mm(height)}" '
            f'LineWidth="0.176"><ofd:AbbreviatedData>M 0 0 L {_mm(width)} {_mm(height)}</ofd:AbbreviatedData>'
            "</ofd:PathObject>")


def _page(objects: list[str], template: bool, ids: _Ids) -> str:
    body = "".join(objects)
    return (f'{_HEAD}<ofd:Page xmlns:ofd="{_NS}">' + ('<ofd:Template TemplateID="1"/>' if template else "")
            + f'<ofd:Content><ofd:Layer ID="{ids.next()}">{body}</ofd:Layer></ofd:Content></ofd:Page>')


def pdf_to_ofd(pdf: bytes) -> bytes:
    ids = _Ids()
    ids.next()  # ID 1: the template page
    members: dict[str, str] = {}
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        info = document.metadata
        width, height = document.pages[0].width, document.pages[0].height
        n = len(document.pages)
        for number, page in enumerate(document.pages):
            chars = [c for c in page.chars if c["upright"]]
            objects = [_text_object(run, ids) for run in _runs(chars)]
            objects += [_path_object(edge, ids) for edge in page.edges]
            members[f"Doc_0/Pages/Page_{number}/Content.xml"] = _page(objects, template=n > 1, ids=ids)
    footer = (f'{_HEAD}<ofd:Page xmlns:ofd="{_NS}"><ofd:Content><ofd:Layer ID="{ids.next()}"></ofd:Layer>'
              "</ofd:Content></ofd:Page>")
    pages = "".join(f'<ofd:Page ID="{ids.next()}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(n))
    fonts = "".join(f'<ofd:Font ID="{font_id}" FontName={quoteattr(name.split("+")[-1])} '
                    f'FamilyName={quoteattr(name.split("+")[-1])}/>' for name, font_id in ids.fonts.items())
    document_xml = (
        f'{_HEAD}<ofd:Document xmlns:ofd="{_NS}"><ofd:CommonData><ofd:MaxUnitID>{ids.last}</ofd:MaxUnitID>'
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {_mm(width)} {_mm(height)}</ofd:PhysicalBox></ofd:PageArea>"
        '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
        f"</ofd:CommonData><ofd:Pages>{pages}</ofd:Pages></ofd:Document>"
    )
    doc_info = "".join(f"<ofd:{tag}>{escape(str(info[key]))}</ofd:{tag}>"
                       for key, tag in (("Title", "Title"), ("Author", "Author"), ("Creator", "Creator"))
                       if info.get(key))
    members = {
        "OFD.xml": f'{_HEAD}<ofd:OFD xmlns:ofd="{_NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
                   f"<ofd:DocInfo><ofd:DocID>nianbao</ofd:DocID>{doc_info}</ofd:DocInfo>"
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": document_xml,
        "Doc_0/PublicRes.xml":
            f'{_HEAD}<ofd:Res xmlns:ofd="{_NS}" BaseLoc="Res"><ofd:Fonts>{fonts}</ofd:Fonts></ofd:Res>',
        "Doc_0/Tpls/Tpl_0/Content.xml": footer,
        **members,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("utf-8"))
    return fixed_zip(out.getvalue())

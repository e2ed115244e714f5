"""Real inputs for the format-reader tests, built on the spot: Word documents whose tables are merged like the national
form's (domain.md §2), and the grids a reader must recover from them.

A table is given as rows of `(text, rowspan, colspan)` entries placed left to right into the first free position,
the way one reads a printed form; `expand` gives the grid (texts and origins) that placement means.
"""
from __future__ import annotations

import io
import zipfile

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from pipelines.schema import (
    APPLICANT_COLUMN_LABELS,
    APPLICATION_GROUP_LABELS,
    APPLICATION_ROW_LABELS,
    REVIEW_COLUMN_LABELS,
)

Entry = tuple[str, int, int]
Table = list[list[Entry]]
Expanded = list[list[tuple[str, tuple[int, int]]]]


def place(table: Table) -> list[tuple[int, int, Entry]]:
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(table):
        c = 0
        for entry in row:
            while (r, c) in taken:
                c += 1
            _, rowspan, colspan = entry
            placed.append((r, c, entry))
            taken.update((r + i, c + j) for i in range(rowspan) for j in range(colspan))
            c += colspan
    return placed


def expand(table: Table) -> Expanded:
    placed = place(table)
    height = max(r + e[1] for r, _, e in placed)
    width = max(c + e[2] for _, c, e in placed)
    grid: Expanded = [[("", (r, c)) for c in range(width)] for r in range(height)]
    for r, c, (text, rowspan, colspan) in placed:
        for i in range(rowspan):
            for j in range(colspan):
                grid[r + i][c + j] = (text, (r, c))
    return grid


def one(text: str) -> Entry:
    return (text, 1, 1)


def active_2021() -> Table:
    def block(heading: str, header: list[str], rows: list[tuple[str, list[str]]]) -> Table:
        last = 4 - len(header)  # the last header cell takes the columns the block does not use
        out: Table = [[(heading, 1, 4)], [one("信息内容"), *[one(h) for h in header[:-1]], (header[-1], 1, last)]]
        for label, values in rows:
            out.append([one(label), *[one(v) for v in values[:-1]], (values[-1], 1, last)])
        return out

    return [
        *block("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
               [("规章", ["0", "0", "3"]), ("行政规范性文件", ["2", "1", "15"])]),
        *block("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", ["4277"])]),
        *block("第二十条第（六）项", ["本年处理决定数量"], [("行政处罚", ["12"]), ("行政强制", ["0"])]),
        *block("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", ["40.35"])]),
    ]


APPLICATION_ROWS = [
    "new_received", "carried_over", "granted", "partial",
    *APPLICATION_GROUP_LABELS["denied"][1], *APPLICATION_GROUP_LABELS["unable"][1],
    *APPLICATION_GROUP_LABELS["not_processed"][1], *APPLICATION_GROUP_LABELS["other"][1],
    "total_processed", "carried_forward",
]


def application_value(row: int, col: int) -> str:
    """A distinct number for every data cell, so a misplaced cell cannot pass unnoticed."""
    return str(100 + row * 7 + col)


def applications_2021() -> Table:
    columns = list(APPLICANT_COLUMN_LABELS.values())
    table: Table = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [(columns[0], 2, 1), ("法人或其他组织", 1, 5), (columns[-1], 2, 1)],
        [one(label) for label in columns[1:-1]],
    ]
    group_of = {key: group for group, (_, keys) in APPLICATION_GROUP_LABELS.items() for key in keys}
    started: set[str] = set()
    for i, key in enumerate(APPLICATION_ROWS):
        values = [one(application_value(i, j)) for j in range(7)]
        label = APPLICATION_ROW_LABELS[key]
        if key in ("new_received", "carried_over", "carried_forward"):
            table.append([(label, 1, 3), *values])
            continue
        row: list[Entry] = []
        if key == "granted":
            row.append(("三、本年度办理结果", 22, 1))  # （一） through （七）总计
        group = group_of.get(key)
        if group is None:
            row.append((label, 1, 2))
        else:
            if group not in started:
                started.add(group)
                row.append((APPLICATION_GROUP_LABELS[group][0], len(APPLICATION_GROUP_LABELS[group][1]), 1))
            row.append(one(label))
        table.append(row + values)
    return table


def review() -> Table:
    results = list(REVIEW_COLUMN_LABELS.values())
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [*[(label, 2, 1) for label in results], ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [one(label) for label in results * 2],
        [one(str(n)) for n in range(15)],
    ]


def _set_cjk_font(document: docx.document.Document, size: float) -> None:
    style = document.styles["Normal"]
    style.font.size = Pt(size)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "Noto Serif CJK SC")


def _add_page_number_footer(document: docx.document.Document) -> None:
    """"- N -" at the foot of every page, as a PAGE field the way Word writes it."""
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.add_run("- ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph._p.append(paragraph.add_run(" -")._r)


def _add_table(document: docx.document.Document, table: Table, header_rows: int, rows_may_split: bool) -> None:
    expanded = expand(table)
    out = document.add_table(rows=len(expanded), cols=len(expanded[0]))
    out.style = "Table Grid"
    for r, c, (text, rowspan, colspan) in place(table):
        cell = out.cell(r, c)
        if rowspan > 1 or colspan > 1:
            cell = cell.merge(out.cell(r + rowspan - 1, c + colspan - 1))
        cell.text = text
    for row in [] if rows_may_split else out.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for row in out.rows[:header_rows]:
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def report_docx(
    prose_before_applications: int = 3,
    header_rows: int = 0,
    title: str = "岚皋县行政审批服务局2023年政府信息公开工作年度报告",
    landscape: bool = False,
    font_size: float = 10.5,
    custom_properties: dict[str, str] | None = None,
    rows_may_split: bool = False,
) -> bytes:
    """A 2021-format report: prose, then the three tables of sections 二, 三 and 四."""
    document = docx.Document()
    _set_cjk_font(document, font_size)
    if landscape:
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    document.core_properties.title = title
    _add_page_number_footer(document)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.add_run(title).font.size = Pt(22)  # wraps: a centred title over two lines
    document.add_paragraph("一、总体情况")
    # Line-breaking hazards for the PDF reader: a number, an address and quotation marks at the start of a line.
    document.add_paragraph(
        "2023年共接听群众来电376件，群众满意率达90.63%。联系邮箱lzqxzspfwj@zb.shandong.cn，同时依托“秦务员”APP、"
        "“临淄政务服务”微信公众号发布信息800余条，累计阅读人次达4万以上，满意率达99.5%以上。"
    )
    for n in range(prose_before_applications):
        document.add_paragraph(
            f"（{'一二三四五六七八九十'[n % 10]}）主动公开情况。2023年我局共主动公开政府信息326条，其中工作动态15条，"
            "批准领域信息235条，招标实施方案核准12条，在主动公开的政府信息中详细注明公示地点、公示时间、监督电话等要素，"
            "主动接受社会监督，政府信息公开效能进一步提升。"
        )
    document.add_paragraph("二、主动公开政府信息情况")
    _add_table(document, active_2021(), 0, rows_may_split)
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    _add_table(document, applications_2021(), header_rows, rows_may_split)
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    _add_table(document, review(), 0, rows_may_split)
    document.add_paragraph("五、存在的主要问题及改进情况")
    document.add_paragraph("一是公开内容不够全面，二是更新不够及时。下一步将加强培训。")
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    return _with_custom_properties(data, custom_properties) if custom_properties else data


def _with_custom_properties(data: bytes, properties: dict[str, str]) -> bytes:
    """The package with a docProps/custom.xml (python-docx writes core properties only)."""
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{n + 2}" name="{name}">'
        f"<vt:lpwstr>{value}</vt:lpwstr></property>"
        for n, (name, value) in enumerate(properties.items())
    )
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' + items + "</Properties>"
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/docProps/custom.xml" '
                    b'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
                )
            elif info.filename == "_rels/.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>',
                )
            target.writestr(info, content)
        target.writestr("docProps/custom.xml", custom)
    return out.getvalue()


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A compound file (OLE2, version 3) holding `streams` at its root, as Word, Excel and WPS write them.

    Streams are padded to the 4096-byte mini-stream cutoff so that all live in regular sectors; at most three
    streams (one directory sector).
    """
    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the directory's sibling order
    assert len(names) <= 3
    data = [streams[n].ljust(4096, b"\x00") for n in names]
    fat = [fat_mark, end]  # sector 0: this FAT, sector 1: the directory
    starts = []
    for blob in data:
        count = len(blob) // 512 + (len(blob) % 512 > 0)
        starts.append(len(fat))
        fat.extend(range(len(fat) + 1, len(fat) + count))
        fat.append(end)
    assert len(fat) <= 128
    fat.extend([free] * (128 - len(fat)))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        return (encoded.ljust(64, b"\x00") + len(encoded).to_bytes(2, "little") + bytes([kind, 1])
                + none.to_bytes(4, "little") + right.to_bytes(4, "little") + child.to_bytes(4, "little")
                + bytes(16 + 4 + 16) + start.to_bytes(4, "little") + size.to_bytes(8, "little"))

    directory = entry("Root Entry", 5, none, 1 if names else none, end, 0)
    for n, name in enumerate(names, start=1):
        directory += entry(name, 2, n + 1 if n < len(names) else none, none, starts[n - 1], len(data[n - 1]))
    directory = directory.ljust(512, b"\x00")
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + (0x3E).to_bytes(2, "little") + (3).to_bytes(2, "little")
        + bytes.fromhex("FEFF") + (9).to_bytes(2, "little") + (6).to_bytes(2, "little") + bytes(6)
        + (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + (1).to_bytes(4, "little") + bytes(4)
        + (4096).to_bytes(4, "little") + end.to_bytes(4, "little") + (0).to_bytes(4, "little")
        + end.to_bytes(4, "little") + (0).to_bytes(4, "little")
        + (0).to_bytes(4, "little") + b"\xff\xff\xff\xff" * 108
    )
    sectors = b"".join(v.to_bytes(4, "little") for v in fat) + directory + b"".join(
        blob.ljust(-(-len(blob) // 512) * 512, b"\x00") for blob in data
    )
    return header + sectors


def word_fib(encrypted: bool = False) -> bytes:
    """The start of a WordDocument stream: FibBase with the Word 97 magic and, if asked, fEncrypted set."""
    flags = 0x0100 if encrypted else 0
    return (0xA5EC).to_bytes(2, "little") + (0xC1).to_bytes(2, "little") + bytes(6) + flags.to_bytes(2, "little")


def numbered_document() -> bytes:
    """Headings numbered by Word: 一、 (level 0) and （一） (level 1) of one list, bound to a heading style too."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/>'
        '<w:pStyle w:val="Heading1"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>'
        "</w:abstractNum>"
    ))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    heading = document.styles["Heading 1"].element
    heading.get_or_add_pPr().append(parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="90"/></w:numPr>'))

    def numbered(text: str, level: int) -> None:
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'
        ))

    document.add_heading("总体情况", level=1)
    numbered("主动公开情况", 1)
    numbered("依申请公开情况", 1)
    numbered("第三级", 2)
    document.add_heading("主动公开政府信息情况", level=1)
    numbered("规章", 1)
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).paragraphs[0]._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="2"/><w:numId w:val="90"/></w:numPr>'
    ))
    table.cell(0, 0).paragraphs[0].add_run("属于国家秘密")
    for n in range(9):
        document.add_heading(f"第{n + 3}节", level=1)
    return docx_bytes(document)


def docx_bytes(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

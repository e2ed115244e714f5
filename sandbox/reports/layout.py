"""A spec as a sequence of blocks (paragraphs and merged-cell tables in the national forms' layout).

Every renderer draws these same blocks, so the table structure is decided once: the HTML rowspans, the DOCX
merges and the XLSX merged ranges all come from `Table.cells`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.schema import (
    ACTIVE_2019,
    ACTIVE_2021,
    ACTIVE_BLOCKS,
    APPLICANT_COLUMNS,
    APPLICATION_GROUP_LABELS,
    RESULT_LEAVES,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    SECTION_KEYS,
    block_id,
)
from sandbox.reports.labels import label_text
from sandbox.reports.spec import ReportSpec


@dataclass(frozen=True)
class Cell:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None  # the schema key of a data cell
    header: bool = False


@dataclass(frozen=True)
class Table:
    name: str  # active | applications | review
    n_rows: int
    n_cols: int
    cells: tuple[Cell, ...]  # merged cells once, at their top-left position

    def rows(self) -> list[list[Cell]]:
        out: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for cell in self.cells:
            out[cell.row].append(cell)
        return out

    def covering(self) -> list[list[Cell]]:
        """Each grid position → the cell covering it (merged cells repeated)."""
        grid: list[list[Cell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    if grid[r][c] is not None:
                        raise ValueError(f"{self.name}: cells overlap at {(r, c)}")
                    grid[r][c] = cell
        if any(c is None for row in grid for c in row):
            raise ValueError(f"{self.name}: the grid has holes")
        return grid  # type: ignore[return-value]


# Inside a cell's text: where an editor started a new run (a <span> in HTML, a run in DOCX) in the middle of a word,
# which a reader must join back without a space.
RUN_BREAK = "\u2063"


@dataclass(frozen=True)
class Paragraph:
    text: str  # a title's line breaks are "\n"
    role: str = "body"  # title | letter | heading | body | page_break (the rest of the page left empty)


Block = Paragraph | Table


@dataclass(frozen=True)
class Article:
    """A document other than a report body: a title, who published it and when, and its blocks."""

    title: str
    source: str  # 来源 / ContentSource / author
    published: str | None  # ISO date
    blocks: list[Block]


def heading_level(text: str) -> tuple[int, str]:
    """A Markdown-rendered heading ("## 一、总体情况") → (2, "一、总体情况"); a plain one → (0, text)."""
    m = re.match(r"^(#{1,6})\s*", text)
    return (len(m.group(1)), text[m.end():]) if m else (0, text)


def title_lines(spec: ReportSpec) -> list[str]:
    """Word layouts put the agency on the title's first line and the rest on the second."""
    rest = spec.title[len(spec.agency):].strip()
    return [spec.agency, rest] if spec.title.startswith(spec.agency) and rest else [spec.title]


class _Builder:
    def __init__(self, name: str, n_cols: int):
        self.name, self.n_cols, self.row = name, n_cols, 0
        self.cells: list[Cell] = []

    def add(self, text: str, col: int, rowspan: int = 1, colspan: int = 1, key: str | None = None,
            header: bool = False, row: int | None = None) -> None:
        self.cells.append(Cell(text, self.row if row is None else row, col, rowspan, colspan, key, header))

    def caption(self, spec: ReportSpec) -> None:
        if caption := spec.labels.get(f"caption.{self.name}"):
            self.add(caption, 0, colspan=self.n_cols, header=True)
            self.row += 1

    def build(self) -> Table:
        table = Table(self.name, self.row, self.n_cols, tuple(self.cells))
        table.covering()  # fail here, not in a renderer, if the layout is not a full rectangle
        return table


def active_table(spec: ReportSpec) -> Table:
    """Section 二: one four-column table, a 第二十条 row and a 信息内容 header per block."""
    lab = lambda i: label_text(spec.template, spec.labels, i)  # noqa: E731
    columns = dict(ACTIVE_2021 if spec.template == "2021" else ACTIVE_2019)
    b = _Builder("active", 4)
    b.caption(spec)
    for item, rows in ACTIVE_BLOCKS[spec.template]:
        present = [r for r in rows if not all(f"active.{r}.{c}" in spec.absent for c in columns[r])]
        if not present:
            continue
        cols = columns[rows[0]]
        b.add(lab(block_id(item)), 0, colspan=4, header=True)
        b.row += 1
        b.add(lab("active.content"), 0, header=True)
        _active_line(b, [(lab(f"active.col.{c}"), None) for c in cols], header=True)
        for row in present:
            b.add(lab(f"active.row.{row}"), 0, header=True)
            _active_line(b, [(spec.cells[f"active.{row}.{c}"], f"active.{row}.{c}") for c in cols])
    return b.build()


def _active_line(b: _Builder, items: list[tuple[str, str | None]], header: bool = False) -> None:
    # One value spans the three value columns (national form); two leave the fourth column blank (2019 form).
    if len(items) == 1:
        b.add(items[0][0], 1, colspan=3, key=items[0][1], header=header)
    else:
        for i, (text, key) in enumerate(items):
            b.add(text, 1 + i, key=key, header=header)
        for col in range(1 + len(items), 4):
            b.add("", col, header=header)
    b.row += 1


def applications_table(spec: ReportSpec) -> Table:
    """Section 三: three label columns (一/三、本年度办理结果, （n）, sub-item) and the seven applicant columns."""
    lab = lambda i: label_text(spec.template, spec.labels, i)  # noqa: E731
    b = _Builder("applications", 3 + len(APPLICANT_COLUMNS))
    b.caption(spec)
    top = b.row
    b.add(lab("applications.note"), 0, rowspan=3, colspan=3, header=True)
    b.add(lab("applications.applicant"), 3, colspan=7, header=True)
    b.add(lab("applications.col.natural_person"), 3, rowspan=2, header=True, row=top + 1)
    b.add(lab("applications.org"), 4, colspan=5, header=True, row=top + 1)
    b.add(lab("applications.col.total"), 9, rowspan=2, header=True, row=top + 1)
    for i, col in enumerate(APPLICANT_COLUMNS[1:-1]):
        b.add(lab(f"applications.col.{col}"), 4 + i, header=True, row=top + 2)
    b.row = top + 3

    present = lambda row: not all(f"applications.{row}.{c}" in spec.absent for c in APPLICANT_COLUMNS)  # noqa: E731
    group_of = {leaf: group for group, (_, leaves) in APPLICATION_GROUP_LABELS.items() for leaf in leaves}
    results = [r for r in (*RESULT_LEAVES[spec.template], "total_processed") if present(r)]

    def data(row: str) -> None:
        for i, col in enumerate(APPLICANT_COLUMNS):
            b.add(spec.cells[f"applications.{row}.{col}"], 3 + i, key=f"applications.{row}.{col}")
        b.row += 1

    for row in ("new_received", "carried_over"):
        if present(row):
            b.add(lab(f"applications.row.{row}"), 0, colspan=3, header=True)
            data(row)
    if results:
        b.add(lab("applications.results"), 0, rowspan=len(results), header=True)
    for row in results:
        if group := group_of.get(row):
            leaves = [r for r in APPLICATION_GROUP_LABELS[group][1] if r in results]
            if row == leaves[0]:
                b.add(lab(f"applications.group.{group}"), 1, rowspan=len(leaves), header=True)
            b.add(lab(f"applications.row.{row}"), 2, header=True)
        else:
            b.add(lab(f"applications.row.{row}"), 1, colspan=2, header=True)
        data(row)
    if present("carried_forward"):
        b.add(lab("applications.row.carried_forward"), 0, colspan=3, header=True)
        data("carried_forward")
    return b.build()


def review_table(spec: ReportSpec) -> Table:
    """Section 四: 行政复议 and the two 行政诉讼 groups under a three-row header, one data row of fifteen."""
    lab = lambda i: label_text(spec.template, spec.labels, i)  # noqa: E731
    n = len(REVIEW_COLUMNS)
    b = _Builder("review", n * len(REVIEW_GROUPS))
    b.caption(spec)
    top = b.row
    b.add(lab("review.group.review"), 0, colspan=n, header=True)
    b.add(lab("review.litigation"), n, colspan=2 * n, header=True)
    for i, col in enumerate(REVIEW_COLUMNS):
        b.add(lab(f"review.col.{col}"), i, rowspan=2, header=True, row=top + 1)
    for g, group in enumerate(REVIEW_GROUPS[1:], start=1):
        b.add(lab(f"review.group.{group}"), g * n, colspan=n, header=True, row=top + 1)
        for i, col in enumerate(REVIEW_COLUMNS):
            b.add(lab(f"review.col.{col}"), g * n + i, header=True, row=top + 2)
    b.row = top + 3
    for g, group in enumerate(REVIEW_GROUPS):
        for i, col in enumerate(REVIEW_COLUMNS):
            b.add(spec.cells[f"{group}.{col}"], g * n + i, key=f"{group}.{col}")
    b.row += 1
    return b.build()


TABLES = {"active": active_table, "applications": applications_table, "review_litigation": review_table}


def report_blocks(spec: ReportSpec) -> list[Block]:
    """The report body in reading order: title, preamble, then each section's heading, prose and table."""
    blocks: list[Block] = [Paragraph("\n".join(title_lines(spec)), "title")]
    blocks += [Paragraph(p) for p in spec.preamble]
    for section in SECTION_KEYS:
        blocks.append(Paragraph(spec.headings[section], "heading"))
        blocks += [Paragraph(p) for p in spec.sections.get(section, [])]
        if section in TABLES:
            blocks.append(TABLES[section](spec))
    return blocks


def letter_blocks(spec: ReportSpec) -> list[Paragraph]:
    return [Paragraph(line, "letter") for line in (spec.cover_letter or "").split("\n")] if spec.cover_letter else []

"""Plain-text renderings like the seeds: what copying a report out of Word or a PDF viewer gives.

`cells` (Word copy): one line per cell, prefixed by a tab, rows separated by blank lines; a merged cell appears
once, and a vertically merged cell leaves an empty line in the rows it continues into. `rows` (PDF copy): one
tab-separated line per row, every grid position present, the copies of merged cells blank.
"""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.reports.layout import Block, Paragraph, Table, letter_blocks, report_blocks
from sandbox.reports.spec import ReportSpec


@dataclass(frozen=True)
class TextStyle:
    layout: str = "cells"  # cells | rows


def _cells_table(table: Table) -> list[str]:
    grid = table.covering()
    lines: list[str] = []
    for r, row in enumerate(grid):
        c = 0
        while c < table.n_cols:
            cell = row[c]
            lines.append("\t" + (cell.text if cell.row == r else ""))
            c += cell.colspan
        lines.append("")
    return [*lines, "", ""]


def _rows_table(table: Table) -> list[str]:
    grid = table.covering()
    lines = ["\t".join(cell.text.replace("\n", " ") if (cell.row, cell.col) == (r, c) else ""
                       for c, cell in enumerate(row)) for r, row in enumerate(grid)]
    return [*lines, ""]


def _paragraph(block: Paragraph) -> list[str]:
    return [*block.text.split("\n"), ""] if block.role == "title" else [block.text]


def render_text(spec: ReportSpec, style: TextStyle = TextStyle()) -> bytes:
    table_lines = _cells_table if style.layout == "cells" else _rows_table
    lines: list[str] = []
    if spec.cover_letter:
        lines += [p.text for p in letter_blocks(spec)] + [""] * 6
    blocks: list[Block] = report_blocks(spec)
    for block in blocks:
        lines += table_lines(block) if isinstance(block, Table) else _paragraph(block)
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")

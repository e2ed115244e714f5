"""Plain-text and Markdown renderings of reports (what copying a Word, PDF or HTML report as text gives, like the
seeds): prose lines, and tables recovered from their tab- or pipe-separated renderings.

Two tab renderings occur. Row-per-line: one table row per line, cells separated by tabs (merged cells leave empty
cells or none at all, so columns do not always line up). Cell-per-line: every cell on its own line after one tab,
rows separated by blank lines, a line break inside a cell continuing on a line without a tab.
"""
from __future__ import annotations

import re

from pipelines.decoding import decode
from pipelines.document import Document, Grid

# Debris that Word/HTML-to-text copies leave behind.
_DEBRIS = re.compile(r"\[bookmark:[^\]]*\]|</?(?:b|strong|i|em|span|font|u|br|p)\b[^>]*>|\*\*", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s*")
_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}")
_CONTINUATION_MAX = 20  # a cell's wrapped tail is short; a longer line is prose, not a table


def clean_line(line: str) -> str:
    return _MARKDOWN_HEADING.sub("", _DEBRIS.sub("", line)).replace("\u3000", " ").rstrip()


def _is_table_line(line: str) -> bool:
    return "\t" in line or (line.startswith("|") and line.rstrip().endswith("|"))


def _regions(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of table renderings."""
    regions: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not _is_table_line(lines[i]):
            i += 1
            continue
        start = last = i
        j = i + 1
        while j < len(lines):
            line = lines[j]
            continues = line.strip() and lines[j - 1].strip() and j - 1 == last and _is_continuation(line)
            if _is_table_line(line) or continues:
                last = j
            elif line.strip():
                break
            j += 1
        regions.append((start, last + 1))
        i = last + 1
    return regions


def _is_continuation(line: str) -> bool:
    text = line.strip()
    return len(text) <= _CONTINUATION_MAX and "。" not in text


def _cell_per_line(lines: list[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    row: list[str] = []
    for line in lines:
        if not line.strip() and "\t" not in line:
            if row:
                rows.append(row)
                row = []
        elif line.startswith("\t"):
            row.append(line[1:].strip())
        elif row:
            row[-1] += line.strip()
        else:
            row.append(line.strip())
    if row:
        rows.append(row)
    return rows


def _row_per_line(lines: list[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if line.startswith("|"):
            if _PIPE_SEPARATOR.match(line):
                continue
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif "\t" in line:
            rows.append([c.strip() for c in line.split("\t")])
        elif rows:
            rows[-1][-1] += line.strip()
    return rows


def parse_table(lines: list[str]) -> list[list[str]]:
    tab_lines = [line for line in lines if "\t" in line]
    single = sum(1 for line in tab_lines if line.startswith("\t") and line.count("\t") == 1)
    if tab_lines and single * 2 > len(tab_lines):
        return _cell_per_line(lines)
    return _row_per_line(lines)


def read_text(text: str, format: str = "text") -> Document:
    """Split decoded text into prose and table grids."""
    lines = [clean_line(line) if "\t" not in line else _DEBRIS.sub("", line) for line in text.splitlines()]
    grids: list[Grid] = []
    prose: list[str] = []
    cursor = 0
    for n, (start, end) in enumerate(_regions(lines)):
        prose.extend(lines[cursor:start])
        rows = parse_table(lines[start:end])
        if rows:
            grids.append(Grid.from_texts(rows, f"text table {n + 1} (lines {start + 1}-{end})"))
        cursor = end
    prose.extend(lines[cursor:])
    return Document(format=format, text="\n".join(line.strip() for line in prose if line.strip()), grids=grids)


def read(data: bytes) -> Document:
    text, _ = decode(data)
    return read_text(text.replace("\r\n", "\n").replace("\r", "\n"))

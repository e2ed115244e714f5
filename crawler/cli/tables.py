"""Rows as a terminal table, CSV or JSON: what `nianbao coverage`, `registry show` and the demo print."""
from __future__ import annotations

import csv
import json
from typing import TextIO

from wcwidth import ljust, width

from archive.export.csv_cells import csv_record


def table(records: list[dict], columns: tuple[str, ...], out: TextIO) -> None:
    """Columns aligned by the width each cell takes in a terminal: a Chinese character takes two columns."""
    cells = [[str(r[c] if r[c] is not None else "") for c in columns] for r in records]
    widths = [max([width(c)] + [width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    out.writelines("  ".join(ljust(v, w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n"
                   for row in [list(columns), *cells])


def write_records(records: list[dict], columns: tuple[str, ...], fmt: str, out: TextIO) -> None:
    """Rows as a table, CSV (cells that a spreadsheet would run made inert) or JSON."""
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=1, allow_nan=False)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(map(csv_record, records))
    else:
        table(records, columns, out)

"""A report table drawn as a PNG: the "tables only as an image" publication (a scan or a screenshot pasted in).

Drawn from the same merged-cell `Table` the other renderers use, in a CJK font when the machine has one (the
Makefile installs fonts-noto-cjk), so OCR has something real to read.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from sandbox.reports.layout import Table

_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
COL_WIDTH, ROW_HEIGHT, SIZE = 90, 34, 15
# Widths of the label columns: section 二 has one, section 三 three (一/三、本年度办理结果, （n）, the sub-item).
LABEL_WIDTHS = {1: (300,), 3: (110, 100, 420)}


@lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, SIZE)
    return ImageFont.load_default()


def _width(col: int, label_cols: int) -> int:
    return LABEL_WIDTHS.get(label_cols, (COL_WIDTH,) * label_cols)[col] if col < label_cols else COL_WIDTH


def table_png(table: Table) -> bytes:
    # Label columns are the ones holding no data cell; they get the width the long row labels need.
    data_cols = {c.col for c in table.cells if c.key}
    label_cols = min(data_cols) if data_cols else 1
    xs = [0]
    for col in range(table.n_cols):
        xs.append(xs[-1] + _width(col, label_cols))
    image = Image.new("L", (xs[-1] + 1, table.n_rows * ROW_HEIGHT + 1), 255)
    draw, font = ImageDraw.Draw(image), _font()
    for cell in table.cells:
        x0, x1 = xs[cell.col], xs[cell.col + cell.colspan]
        y0, y1 = cell.row * ROW_HEIGHT, (cell.row + cell.rowspan) * ROW_HEIGHT
        draw.rectangle((x0, y0, x1, y1), outline=0)
        text = cell.text.replace("\n", "")
        per_line = max(1, (x1 - x0 - 6) // SIZE)
        lines = [text[i:i + per_line] for i in range(0, len(text), per_line)][: max(1, (y1 - y0) // (SIZE + 3))]
        top = y0 + ((y1 - y0) - len(lines) * (SIZE + 3)) // 2
        for n, line in enumerate(lines):
            draw.text((x0 + 4, top + n * (SIZE + 3)), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()

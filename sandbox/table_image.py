"""A report table drawn as a PNG: the "tables only as an image" publication (a scan or a screenshot pasted in).

Drawn from the same merged-cell `Table` the other renderers use, in a CJK font when the machine has one (the
Makefile installs fonts-noto-cjk), so OCR has something real to read.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from sandbox.reports.layout import Table

_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
COL_WIDTH, ROW_HEIGHT, SIZE = 90, 34, 15
_MARKUP = re.compile(r"<[^>]+>")
# Widths of the label columns: section 二 has one, section 三 three (一/三、本年度办理结果, （n）, the sub-item).
LABEL_WIDTHS = {1: (300,), 3: (110, 100, 420)}


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """The font pictures are drawn in (None: PIL's default bitmap font)."""
    return next((path for path in _FONTS if Path(path).exists()), None)


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path()
    return ImageFont.truetype(path, SIZE) if path else ImageFont.load_default()


def _width(col: int, label_cols: int) -> int:
    return LABEL_WIDTHS.get(label_cols, (COL_WIDTH,) * label_cols)[col] if col < label_cols else COL_WIDTH


def _lines(text: str, width: int) -> list[str]:
    per_line = max(1, (width - 6) // SIZE)
    text = _MARKUP.sub("", text.replace("\n", ""))  # a label's <b> is bold in HTML, not characters in a picture
    return [text[i:i + per_line] for i in range(0, len(text), per_line)] or [""]


def table_png(table: Table) -> bytes:
    # Label columns are the ones holding no data cell; they get the width the long row labels need.
    data_cols = {c.col for c in table.cells if c.key}
    label_cols = min(data_cols) if data_cols else 1
    xs = [0]
    for col in range(table.n_cols):
        xs.append(xs[-1] + _width(col, label_cols))
    # Text wraps inside its cell and a row grows to its tallest one-row cell, as in a word processor's table.
    heights = [ROW_HEIGHT] * table.n_rows
    for cell in table.cells:
        if cell.rowspan == 1:
            n_lines = len(_lines(cell.text, xs[cell.col + cell.colspan] - xs[cell.col]))
            heights[cell.row] = max(heights[cell.row], n_lines * (SIZE + 3) + 10)
    ys = [0]
    for height in heights:
        ys.append(ys[-1] + height)
    image = Image.new("L", (xs[-1] + 1, ys[-1] + 1), 255)
    draw, font = ImageDraw.Draw(image), _font()
    for cell in table.cells:
        x0, x1 = xs[cell.col], xs[cell.col + cell.colspan]
        y0, y1 = ys[cell.row], ys[cell.row + cell.rowspan]
        draw.rectangle((x0, y0, x1, y1), outline=0)
        lines = _lines(cell.text, x1 - x0)[: max(1, (y1 - y0) // (SIZE + 3))]
        top = y0 + ((y1 - y0) - len(lines) * (SIZE + 3)) // 2
        for n, line in enumerate(lines):
            draw.text((x0 + 4, top + n * (SIZE + 3)), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()

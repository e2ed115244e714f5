"""Reports drawn as pictures for the OCR tests: the font they are drawn with, the skips when OCR or the font is
missing, the specs drawn (the seeds and variants with every value quirk a picture shows), and a page showing them."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipelines.formats import image
from sandbox.documents import image_body
from sandbox.reports.layout import title_lines
from sandbox.reports.seeds import seed_specs
from sandbox.reports.spec import ReportSpec
from sandbox.reports.variants import Plan, variant

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
needs_ocr = pytest.mark.skipif(not image.ocr_available(), reason=f"tesseract: {image.MISSING_OCR}")
needs_font = pytest.mark.skipif(not FONT.exists(), reason="fonts-noto-cjk not installed: the scans are drawn with it")


def text_page(lines: list[str], mode: str = "RGB") -> Image.Image:
    """A page of large text lines, as a photo (RGB) or a greyscale scan ("L") shows them."""
    font = ImageFont.truetype(str(FONT), 40)
    picture = Image.new(mode, (1400, 90 * len(lines) + 60), "white")
    draw = ImageDraw.Draw(picture)
    for n, line in enumerate(lines):
        draw.text((60, 40 + 90 * n), line, font=font, fill="black")
    return picture


def _specs() -> dict[str, ReportSpec]:
    seeds = seed_specs()
    return {
        **{f"seed {n}": spec for n, spec in seeds.items()},
        # Numbers of every size, "/" and "—" for n.a., thousands separators, amounts in 元 (both forms).
        "2021 thousands": variant(seeds[0], Plan(seed=11, template="2021", value_quirks=("thousands",))),
        "2019 n.a. slash": variant(seeds[2], Plan(seed=12, template="2019", value_quirks=("na_slash",))),
        "2021 n.a. dash, fee decimals": variant(seeds[3], Plan(seed=13, template="2021",
                                                                value_quirks=("na_dash", "fee_decimal"))),
        "2019 amounts in yuan": variant(seeds[4], Plan(seed=14, template="2019", value_quirks=("amount_yuan",))),
    }


SPECS = _specs()


def picture_page(spec: ReportSpec) -> bytes:
    """An article page whose report tables are pictures (table1.png, …), as portals post scans."""
    title = "".join(title_lines(spec))
    body = image_body(spec, lambda n: f"table{n + 1}.png")
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>{body}'
            f"</body></html>").encode()

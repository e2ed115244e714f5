"""Images of reports (scans, photos, screenshots): ruled tables into grids (`image_tables`), the rest of the text by
tesseract OCR with the chi_sim model.

A picture without a ruled table carries a warning that no table was extracted. The PDF reader uses `ocr` for pages
without a text layer.
"""
from __future__ import annotations

import functools
import os
import re
from io import BytesIO

import pytesseract
from PIL import Image, ImageOps, ImageSequence

from pipelines.document import Document, ExtractionError
from pipelines.formats.cjk import join_lines, squeeze_wide_spaces
from pipelines.formats.image_tables import find_table, has_text

OCR_DPI = 300  # chi_sim needs about this for body-size (12–16 pt) characters
OCR_LANGUAGE = "chi_sim"
OCR_TIMEOUT = 300  # seconds per page; a huge or pathological image must not stall a run
MISSING_OCR = (
    "OCR needs tesseract with the chi_sim language pack (Debian packages tesseract-ocr, tesseract-ocr-chi-sim), "
    "not installed"
)
WARNING = "image: text by OCR, no ruled table found"
_BLOCK_SEPARATOR = re.compile(r"\n\s*\n")
# Tesseract's OpenMP threads fight each other (and the rest of the run) for the cores: on a busy 2-core machine an A4
# page took 12 s with them and 3 s without. Documents are parallel units; one page is not. pytesseract passes this
# process's environment to tesseract, so that is where the limit goes, unless the user has set one.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@functools.cache
def ocr_available() -> bool:
    try:
        return OCR_LANGUAGE in pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return False


def ocr(picture: Image.Image) -> str:
    """One paragraph per line: tesseract separates blocks by blank lines and wraps lines inside them."""
    try:
        raw = pytesseract.image_to_string(picture, lang=OCR_LANGUAGE, timeout=OCR_TIMEOUT)
    except RuntimeError:  # pytesseract's timeout
        raise ExtractionError(f"OCR took longer than {OCR_TIMEOUT} s on one page") from None
    except pytesseract.TesseractError as error:
        raise ExtractionError(f"OCR failed ({error.message})") from None
    blocks = (squeeze_wide_spaces(join_lines(block.split("\n"))) for block in _BLOCK_SEPARATOR.split(raw))
    return "\n".join(block for block in blocks if block)


def read(data: bytes) -> Document:
    if not ocr_available():
        raise ExtractionError(f"image: {MISSING_OCR}")
    try:
        with Image.open(BytesIO(data)) as picture:
            # A multi-page TIFF is a scanned document, one page per frame; a phone photo is upright only once its
            # EXIF orientation is applied.
            frames = [ImageOps.exif_transpose(frame).convert("RGB") for frame in ImageSequence.Iterator(picture)]
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ExtractionError(f"image is damaged or of an unsupported kind ({error})") from None
    texts, grids, warnings = [], [], []
    for n, frame in enumerate(frames, 1):
        try:
            table = find_table(frame, f"image {n}" if len(frames) > 1 else "image")
        except (ValueError, RuntimeError) as error:  # an odd picture costs its table, never the document
            table = None
            warnings.append(f"image: no table read ({error})")
        if table is not None:
            grids.append(table.grid)
        # A screenshot of a table alone has nothing else to read: its OCR would cost seconds for nothing.
        rest = frame if table is None else table.rest
        if table is None or has_text(rest):
            texts.append(ocr(rest))
    return Document(format="image", text="\n".join(t for t in texts if t), grids=grids,
                    warnings=warnings + ([] if grids else [WARNING]))

"""Ruled tables in pictures (screenshots and scans of report tables): the cell grid from the ruling lines, then the
cells' text by OCR, as the project's `Grid` with merged cells, so the mapping reads them like any other table.

Lines are found by projections on a dark-pixel mask: a row of the picture is a horizontal rule when it holds a run of
dark pixels longer than any character stroke (likewise for columns). Consecutive rules bound the base grid; two
neighbouring base cells are one merged cell when the rule between them is missing along their shared edge.

Cells are read one line at a time, from their own pixels only (no rules, no neighbours), by tesseract in this
process (tesserocr: a tesseract process per call would spend 0.15–0.3 s starting and loading its model). A line no
taller than a line of text and narrow enough for a number is first read by the latin model restricted to number
characters, several times faster than chi_sim; the rest, and what that does not read confidently as a number, by
chi_sim. Readings are cached by their pixels, so a table's many alike "0" cells, and a portal's labels drawn alike in
every report, are read once. chi_sim's habitual confusions in the forms' vocabulary are put right against the
national labels (`national_label`). bench/extraction.py measures the speed against tesseract's plain text OCR.
"""
from __future__ import annotations

import difflib
import functools
import glob
import os
import re
import threading
from dataclasses import dataclass

import numpy as np
import tesserocr
from PIL import Image, ImageDraw, ImageOps

from pipelines import schema, values
from pipelines.document import Cell, ExtractionError, Grid
from pipelines.mapping import normalise

# A pixel darker than this is ink; grey rules (~160) and anti-aliased or JPEG-softened strokes still count.
INK = 200
# Rules are longer than any character stroke: at least this many pixels, and this share of the picture's long side.
MIN_RULE, RULE_SHARE = 24, 0.02
# A rule is thin: this far (px) to either side of it, less than this share of its length is ink.
THIN, SMEARED = 5, 0.5
# Ink pixels beside a table worth reading as text (a few characters' worth; JPEG specks are fewer).
MIN_TEXT_INK = 200
# Share of a shared edge that must be ruled for two base cells to be separate (JPEG and blur leave gaps).
EDGE_RULED = 0.75
# A real table has at least this many rules each way; fewer is a picture with a frame or an underline. A report
# table has some hundreds of cells: a grid of thousands is graph paper or a form, and would take minutes to read.
MIN_RULES, MAX_CELLS = 3, 2000
# Pictures larger than this (pixels) are not searched for tables: the rule search holds a few bytes a pixel, and a
# screenshot or a 300 dpi A4 scan has under 10 million.
MAX_PIXELS = 40_000_000
# Skew estimation: the rules' angle is searched in this range (degrees), on a picture this wide.
MAX_SKEW, SKEW_WIDTH = 2.0, 600
OCR_LANGUAGE = "chi_sim"
# Cells are enlarged to these line heights (px) before reading: below them chi_sim confuses more characters, and
# the latin model reads a "+" as 4 or drops a digit at screenshot sizes (12–16 px); measured on the sandbox's tables.
TEXT_LINE, NUMBER_LINE = 22, 30
# How close (difflib ratio of the Chinese characters) a reading must be to a national label to be taken for it.
LABEL_SIMILARITY = 0.7
_CJK = re.compile(r"[\u4e00-\u9fff]")
CELL_BORDER = 8  # white around a cell's ink, as tesseract expects of a line
# Numbers: a one-line cell no wider than this many line heights, and no taller than a line of text, is first read by
# the latin model restricted to what numbers are written with (several times faster than chi_sim); a reading that is
# not a number, or below this confidence, goes to chi_sim.
NUMBER_WIDTH, NUMBER_HEIGHT = 8, 1.0
# Digits are about this share of a line of CJK text high, and at most this share of their height wide.
DIGIT_HEIGHT, DIGIT_WIDTH, DIGIT_SLACK = 0.75, 0.85, 0.3
NUMBER_CHARACTERS = "0123456789.,-+%/"  # "/" too, or a "/" for n.a. reads as 1
NUMBER_CONFIDENCE = 80
_SPACES = re.compile(r"\s+")


Area = tuple[int, int, int, int]  # left, top, right, bottom in pixels


@dataclass(frozen=True)
class Box:
    """A cell of the detected table: its place in the grid and its pixel rectangle (inside the rules)."""

    row: int
    col: int
    rowspan: int
    colspan: int
    left: int
    top: int
    right: int
    bottom: int


def _ink(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("L")) < INK


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Per row of `mask`, whether some run of at least `length` True pixels occurs (numpy, no Python loop)."""
    sums = np.cumsum(mask, axis=1, dtype=np.int32)
    window = sums[:, length:] - sums[:, :-length]
    return (window >= length).any(axis=1)


def _centres(hits: np.ndarray) -> list[int]:
    """Indices of True runs → the middle of each run (a rule drawn 1–3 px thick, or blurred, is one rule)."""
    idx = np.flatnonzero(hits)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    return [int((s + e) // 2) for s, e in zip(starts, ends)]


def _spans_a_cell(ink: np.ndarray, at: int, across: list[int], horizontal: bool) -> bool:
    """Whether a candidate rule is drawn along the whole of at least one band between candidates the other way, and
    is thin there: a rule bounds cells, while a long character stroke (or strokes run together by anti-aliasing)
    floats inside one, and a blurred line of text is as thick as the text."""
    for a, b in zip(across, across[1:]):
        along = slice(a + 1, b)
        if _ruled(ink, along, at, horizontal) and not (_covered(ink, along, at - THIN, horizontal)
                                                       or _covered(ink, along, at + THIN, horizontal)):
            return True
    return False


def _covered(ink: np.ndarray, along: slice, at: int, horizontal: bool) -> bool:
    if not 0 <= at < ink.shape[0 if horizontal else 1]:
        return False
    line = ink[at, along] if horizontal else ink[along, at]
    return line.size > 0 and float(line.mean()) >= SMEARED


def rules(ink: np.ndarray) -> tuple[list[int], list[int]]:
    """y of the horizontal rules and x of the vertical ones."""
    length = max(MIN_RULE, round(RULE_SHARE * max(ink.shape)))
    ys, xs = _centres(_runs(ink, length)), _centres(_runs(ink.T, length))
    for _ in range(2):  # each way's strokes are told from rules by the other way's rules
        ys = [y for y in ys if _spans_a_cell(ink, y, xs, horizontal=True)]
        xs = [x for x in xs if _spans_a_cell(ink, x, ys, horizontal=False)]
    return ys, xs


def skew(picture: Image.Image) -> float:
    """The angle (degrees) that makes the rules level: the one whose row profile is sharpest, on a small copy."""
    grey = picture.convert("L")
    scale = min(1.0, SKEW_WIDTH / grey.width)
    small = ImageOps.invert(grey.resize((max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))))

    def sharpness(angle: float) -> float:
        profile = np.asarray(small.rotate(angle, resample=Image.BILINEAR), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.25), key=sharpness)
    return float(max(np.arange(best - 0.2, best + 0.2 + 1e-9, 0.05), key=sharpness))


def _ruled(ink: np.ndarray, along: slice, at: int, horizontal: bool) -> bool:
    """Whether the edge at `at` (a row for a horizontal edge, a column for a vertical one) is drawn over `along`."""
    lo, hi = max(0, at - 1), at + 2
    band = ink[lo:hi, along] if horizontal else ink[along, lo:hi].T
    # The best single line of pixels, not their union: a band's union would be filled by the strokes of a text.
    return band.size > 0 and float(band.mean(axis=1).max()) >= EDGE_RULED


def boxes(ink: np.ndarray) -> list[Box]:
    """The table's cells, merged cells once at their top-left base cell; [] when the picture holds no ruled table."""
    ys, xs = rules(ink)
    if (len(ys) < MIN_RULES or len(xs) < MIN_RULES or (len(ys) - 1) * (len(xs) - 1) > MAX_CELLS
            or not _framed(ink, ys, xs)):
        return []
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            inner_y = slice(ys[r] + 3, ys[r + 1] - 2)
            inner_x = slice(xs[c] + 3, xs[c + 1] - 2)
            if c + 1 < n_cols and not _ruled(ink, inner_y, xs[c + 1], horizontal=False):
                parent[find(r * n_cols + c + 1)] = find(r * n_cols + c)
            if r + 1 < n_rows and not _ruled(ink, inner_x, ys[r + 1], horizontal=True):
                parent[find((r + 1) * n_cols + c)] = find(r * n_cols + c)
    members: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            members.setdefault(find(r * n_cols + c), []).append((r, c))
    out = []
    for cells in members.values():
        r0, c0 = min(r for r, _ in cells), min(c for _, c in cells)
        r1, c1 = max(r for r, _ in cells), max(c for _, c in cells)
        out.append(Box(r0, c0, r1 - r0 + 1, c1 - c0 + 1, xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
    if not _is_table(out, n_rows, n_cols):
        return []
    return sorted(out, key=lambda b: (b.row, b.col))


def _framed(ink: np.ndarray, ys: list[int], xs: list[int]) -> bool:
    """Whether the outermost rules close a frame around the rest, as a ruled table's border does (the strokes of
    large characters, taken for rules, do not)."""
    across, down = slice(xs[0] + 1, xs[-1]), slice(ys[0] + 1, ys[-1])
    return (all(_ruled(ink, across, y, horizontal=True) for y in (ys[0], ys[-1]))
            and all(_ruled(ink, down, x, horizontal=False) for x in (xs[0], xs[-1])))


def _is_table(cells: list[Box], n_rows: int, n_cols: int) -> bool:
    """Rules that bound real cells: the merged regions tile the grid as rectangles, and most of it is not one region
    (a frame around a photo, or text with underlines, makes a few huge or ragged regions)."""
    if len(cells) < 4 or sum(b.rowspan * b.colspan for b in cells) != n_rows * n_cols:
        return False
    covered = np.zeros((n_rows, n_cols), dtype=np.int8)
    for b in cells:
        covered[b.row:b.row + b.rowspan, b.col:b.col + b.colspan] += 1
    return bool((covered == 1).all()) and max(b.rowspan * b.colspan for b in cells) < 0.5 * n_rows * n_cols


def _content(ink: np.ndarray, box: Box) -> Area | None:
    """The bounding box of the ink inside a cell (rules excluded), or None for an empty cell."""
    top, bottom, left, right = box.top + 3, box.bottom - 2, box.left + 3, box.right - 2
    if bottom <= top or right <= left:
        return None
    inside = ink[top:bottom, left:right]
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    # A speck of JPEG noise or a sliver of a rule is not text.
    if rows.size == 0 or inside.sum() < 4 or (rows[-1] - rows[0] < 2 and cols[-1] - cols[0] < 2):
        return None
    return left + int(cols[0]), top + int(rows[0]), left + int(cols[-1]) + 1, top + int(rows[-1]) + 1


@functools.cache
def _tessdata() -> str:
    """Where the system's tesseract keeps its models (the Debian packages install chi_sim there)."""
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata")),
                  "/usr/share/tessdata", "/usr/local/share/tessdata"]
    for path in candidates:
        if path and os.path.exists(os.path.join(path, f"{OCR_LANGUAGE}.traineddata")):
            return path
    raise ExtractionError("image: tesseract's chi_sim model is not installed (Debian package tesseract-ocr-chi-sim)")


@functools.cache
def _engine(language: str, psm: int) -> tuple[tesserocr.PyTessBaseAPI, threading.Lock]:
    """One tesseract per process and mode, loaded once: a tesseract process per call spends 0.15–0.3 s starting."""
    api = tesserocr.PyTessBaseAPI(path=_tessdata(), lang=language, psm=psm)
    if language == "eng":
        api.SetVariable("tessedit_char_whitelist", NUMBER_CHARACTERS)
    return api, threading.Lock()


def _run(language: str, psm: int, picture: Image.Image) -> tuple[str, int]:
    api, lock = _engine(language, psm)
    with lock:
        api.SetImage(picture)
        return api.GetUTF8Text(), api.MeanTextConf()


def _enlarged(picture: Image.Image, line: int, wanted: int) -> Image.Image:
    scale = wanted / line
    if scale <= 1.05:
        return picture
    return picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.BICUBIC)


def _read_text(picture: Image.Image, line: int, lines: int) -> str:
    psm = tesserocr.PSM.SINGLE_LINE if lines == 1 else tesserocr.PSM.SINGLE_BLOCK
    text, _ = _run(OCR_LANGUAGE, psm,
                   ImageOps.expand(_enlarged(picture, line, TEXT_LINE), border=CELL_BORDER, fill=255))
    if not text.strip():
        # chi_sim now and then rejects a whole line at one size and reads it at another.
        text, _ = _run(OCR_LANGUAGE, psm, ImageOps.expand(_enlarged(picture, line, round(max(line, TEXT_LINE) * 1.5)),
                                                          border=CELL_BORDER, fill=255))
    return _SPACES.sub("", text)


@functools.lru_cache(maxsize=8192)
def _recognise(pixels: bytes, size: tuple[int, int], line: int, lines: int, maybe_number: bool) -> str:
    """The text of a line of a cell (its grey pixels; `line` px a line of text; several lines where they could not
    be cut apart), numbers by the latin model, the rest by chi_sim.

    Cached by the pixels: a table's many "0" cells, and the form's labels drawn alike in every report of a portal,
    are read once; the result depends on the pixels alone, so a re-run reads the same.
    """
    picture = Image.frombytes("L", size, pixels)
    if not maybe_number:
        return _read_text(picture, line, lines)
    number, confidence = _run("eng", tesserocr.PSM.SINGLE_LINE,
                              ImageOps.expand(_enlarged(picture, line, NUMBER_LINE), border=CELL_BORDER, fill=255))
    number = number.strip()
    if not number:  # the latin model, too, now and then reads nothing at one size and the digit at another
        number, confidence = _run("eng", tesserocr.PSM.SINGLE_LINE, ImageOps.expand(
            _enlarged(picture, line, round(NUMBER_LINE * 1.5)), border=CELL_BORDER, fill=255))
        number = number.strip()
    # The latin model restricted to number characters reads "12件" as 12 and "其他" as some digit: a reading is a
    # number only if that many digit-wide characters fill the content's width.
    is_number = (bool(number) and values.is_value_like(number)
                 and size[0] <= (DIGIT_WIDTH * len(_SPACES.sub("", number)) + DIGIT_SLACK) * DIGIT_HEIGHT * line)
    if is_number and confidence >= NUMBER_CONFIDENCE:
        return number
    # The latin model's confidence in a lone digit swings with the scale; chi_sim decides, but content shorter than
    # a line of text is no CJK character (chi_sim reads a 7 as 了, a dash as 一), so its non-number gives way.
    text = _read_text(picture, line, lines)
    return text if values.is_value_like(text) or not is_number else number


@functools.cache
def _labels() -> dict[str, str]:
    """The national forms' printed labels (both templates) by their normalised text."""
    return {normalise(label): label for template in ("2019", "2021")
            for label in schema.national_labels(template).values()}


@functools.cache
def _cjk_labels() -> dict[str, list[str]]:
    """The same labels by their Chinese characters alone (OCR misreads brackets and numbering most); several
    labels can share them, as 总计 the column and （七）总计 the row."""
    out: dict[str, list[str]] = {}
    for label in _labels().values():
        out.setdefault(_cjk_only(label), []).append(label)
    return out


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _cjk_only(text: str) -> str:
    return "".join(_CJK.findall(normalise(text)))


@functools.lru_cache(maxsize=4096)
def national_label(text: str) -> str:
    """A reading close to one of the national forms' labels becomes that label, else it stays as read.

    chi_sim confuses some characters of the forms' vocabulary again and again (卷 as 着 or 沧, 逾 as 这 or 诊), and one
    wrong character can hide the keyword the mapping needs; the forms' own labels are the dictionary that puts
    them right. Only near readings are replaced: a label the forms do not have is kept.
    """
    if normalise(text) in _labels():
        return text
    key = _cjk_only(text)
    if not key:
        return text
    best, best_ratio = None, LABEL_SIMILARITY
    for known, labels in _cjk_labels().items():
        matcher = difflib.SequenceMatcher(None, key, known, autojunk=False)
        if matcher.real_quick_ratio() >= best_ratio and matcher.quick_ratio() >= best_ratio:
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = labels, ratio
    if best is None:
        return text
    return max(best, key=lambda label: _similarity(values.normal(text), values.normal(label)))


def _line_height(found: list[tuple[Box, Area]]) -> int:
    """The height of a line of CJK text: the tallest one-line content (digits are shorter than characters)."""
    heights = np.array([a[3] - a[1] for _, a in found])
    return int(heights[heights <= 1.45 * np.median(heights)].max())


def _trimmed(ink: np.ndarray, area: Area) -> Area:
    left, top, right, bottom = area
    inside = ink[top:bottom, left:right]
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    return left + int(cols[0]), top + int(rows[0]), left + int(cols[-1]) + 1, top + int(rows[-1]) + 1


def _lines_of(ink: np.ndarray, area: Area, lines: int) -> list[Area]:
    """A wrapped cell's content cut into its lines at the blank rows between them; uncut when there are none where
    the lines should part (characters of neighbouring lines touch)."""
    left, top, right, bottom = area
    if lines == 1:
        return [area]
    blank = np.flatnonzero(~ink[top:bottom, left:right].any(axis=1))
    pitch = (bottom - top) / lines
    cuts = []
    for k in range(1, lines):
        near = blank[np.abs(blank - k * pitch) <= 0.35 * pitch]
        if near.size == 0:
            return [area]
        cuts.append(top + int(near[np.abs(near - k * pitch).argmin()]))
    bounds = [top, *cuts, bottom]
    parts = [(left, a, right, b) for a, b in zip(bounds, bounds[1:])]
    return [_trimmed(ink, part) for part in parts if ink[part[1]:part[3], left:right].any()]


def read_cells(picture: Image.Image, ink: np.ndarray, cells: list[Box]) -> dict[Box, str]:
    """Each non-empty cell's text, read line by line from its content alone (no rules, no neighbours)."""
    found = [(box, area) for box in cells if (area := _content(ink, box))]
    if not found:
        return {}
    line = _line_height(found)
    grey = picture.convert("L")
    texts = {}
    for box, area in found:
        parts = _lines_of(ink, area, max(1, round((area[3] - area[1]) / line)))
        pieces = []
        for part in parts:
            height, width = part[3] - part[1], part[2] - part[0]
            lines = max(1, round(height / line))
            maybe_number = lines == 1 and height <= NUMBER_HEIGHT * line and width <= NUMBER_WIDTH * line
            crop = grey.crop(part)
            pieces.append(_recognise(crop.tobytes(), crop.size, line, lines, maybe_number))
        text = "".join(pieces)
        if text and not values.is_value_like(text):
            text = national_label(text)
        if text:
            texts[box] = text
    return texts


def grid(cells: list[Box], texts: dict[Box, str], source: str) -> Grid:
    n_rows = max(b.row + b.rowspan for b in cells)
    n_cols = max(b.col + b.colspan for b in cells)
    rows: list[list[Cell | None]] = [[None] * n_cols for _ in range(n_rows)]
    for b in cells:
        cell = Cell(texts.get(b, ""), (b.row, b.col))
        for r in range(b.row, b.row + b.rowspan):
            for c in range(b.col, b.col + b.colspan):
                rows[r][c] = cell
    return Grid(rows, source)  # type: ignore[arg-type]


@dataclass
class PictureTable:
    """A table found in a picture, and the rest of the picture (deskewed, the table blanked) for its text."""

    grid: Grid
    rest: Image.Image


def find_table(picture: Image.Image, source: str = "image") -> PictureTable | None:
    """The ruled table a picture shows, read into a grid; None when it shows none."""
    if picture.width * picture.height > MAX_PIXELS:
        return None
    grey = picture.convert("L")
    ink = _ink(grey)
    cells = boxes(ink)
    if not cells:
        # Rules off the level by a degree (a scan, a photo) are rows of a few pixels each: level them first.
        angle = skew(grey)
        if abs(angle) < 0.05:
            return None
        grey = grey.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
        ink = _ink(grey)
        cells = boxes(ink)
        if not cells:
            return None
    table = grid(cells, read_cells(grey, ink, cells), source)
    rest = grey.copy()
    ImageDraw.Draw(rest).rectangle((min(b.left for b in cells) - 2, min(b.top for b in cells) - 2,
                                    max(b.right for b in cells) + 2, max(b.bottom for b in cells) + 2), fill=255)
    return PictureTable(table, rest)


def has_text(picture: Image.Image) -> bool:
    """Whether a picture holds more ink than specks (what is left beside a table may be a caption or nothing)."""
    ink = _ink(picture)
    return int(ink.sum()) >= MIN_TEXT_INK

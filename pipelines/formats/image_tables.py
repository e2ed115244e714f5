"""Ruled tables in pictures (screenshots and scans of report tables): the cell grid from the ruling lines, then the
cells' text by OCR, as the project's `Grid` with merged cells, so the mapping reads them like any other table.

Lines are found by projections on a dark-pixel mask: a row of the picture is a horizontal rule when it holds a run of
dark pixels longer than any character stroke (likewise for columns). Consecutive rules bound the base grid; two
neighbouring base cells are one merged cell when the rule between them is missing along their shared edge.

Cells are read one line at a time, from their own pixels only (no rules, no neighbours), by tesseract in this
process (tesserocr: a tesseract process per call would spend 0.15–0.3 s starting and loading its model). A line no
taller than a line of text and narrow enough for a number is first read by the latin model restricted to number
characters, several times faster than chi_sim, unless a stroke taller than digits and chi_sim's reading show it is
CJK text; the rest, and what the latin model does not read confidently as a number, by chi_sim. Readings are cached
by their pixels, so a table's many alike "0" cells, and a portal's labels drawn alike in every report, are read
once. chi_sim's habitual confusions in the forms' vocabulary are put right against the national labels
(`national_label`). bench/extraction.py measures the speed against tesseract's plain text OCR.
"""
from __future__ import annotations

import difflib
import functools
import glob
import itertools
import os
import re
import threading
from dataclasses import dataclass
from typing import cast

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
# Content with a stroke taller than this share of a line (no digit's is: DIGIT_HEIGHT, with blur) is most likely CJK
# text and goes to chi_sim first; a reading of at least this many CJK characters, each at least this share of a line
# wide over the content, is then taken without the latin model, which would read a label's characters in vain (twice,
# as it retries an empty reading larger) or now and then make digits of them (益组 as 2848).
TALL_STROKE, CJK_READING, CJK_WIDTH = 0.8, 2, 0.8
_SPACES = re.compile(r"\s+")
_LATIN = re.compile(r"[0-9A-Za-z]")


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


def _grey(picture: Image.Image) -> Image.Image:
    return picture if picture.mode == "L" else picture.convert("L")


def _ink(picture: Image.Image) -> np.ndarray:
    return np.asarray(_grey(picture)) < INK


def _runs(mask: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Per line of `mask` (its rows for axis 1, its columns for axis 0), whether some run of at least `length` True
    pixels occurs: windows are ANDed with shifted copies of themselves, doubling their length each time (a few
    passes over bytes, where a running sum per line costs ten times as much)."""
    run, span = mask, 1
    while span < length:
        step = min(span, length - span)
        run = run[:-step] & run[step:] if axis == 0 else run[:, :-step] & run[:, step:]
        span += step
    return cast(np.ndarray, run.any(axis=axis))


def _centres(hits: np.ndarray) -> list[int]:
    """Indices of True runs → the middle of each run (a rule drawn 1–3 px thick, or blurred, is one rule)."""
    idx = np.flatnonzero(hits)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    return [int((s + e) // 2) for s, e in zip(starts, ends)]


class _Lines:
    """The share of ink on stretches of single rows and columns of a picture. The rule tests ask it of many stretches
    of the same few lines (each candidate rule, its neighbours, each cell edge along it): a line's running count is
    made once, and all the stretches of all the lines asked about then cost one subtraction."""

    def __init__(self, ink: np.ndarray):
        self.ink = ink
        self._counts: dict[tuple[bool, int], np.ndarray] = {}

    def _size(self, horizontal: bool) -> tuple[int, int]:
        """(lines, pixels along a line) of the rows (horizontal) or of the columns."""
        rows, cols = self.ink.shape
        return (rows, cols) if horizontal else (cols, rows)

    def _count(self, ats: list[int], horizontal: bool) -> np.ndarray:
        """Per line, the ink pixels before each position along it (one entry more than the line has pixels)."""
        _, along = self._size(horizontal)
        missing = sorted({at for at in ats if (horizontal, at) not in self._counts})
        if missing:
            picked = self.ink[missing] if horizontal else self.ink[:, missing].T
            counts = np.zeros((len(missing), along + 1), dtype=np.int32)
            np.cumsum(picked, axis=1, out=counts[:, 1:])
            self._counts.update(((horizontal, at), row) for at, row in zip(missing, counts))
        return np.stack([self._counts[horizontal, at] for at in ats])

    def shares(self, ats: list[int], horizontal: bool, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """The share of ink of each line `ats[i]` on each stretch `starts[j]:stops[j]` (non-negative bounds, cut at
        the line's end), by line and stretch; NaN for an empty stretch or a line beyond the picture, which pass no
        threshold."""
        lines, along = self._size(horizontal)
        lo = np.minimum(starts, along)
        hi = np.maximum(np.minimum(stops, along), lo)
        inside = np.array([0 <= at < lines for at in ats])
        out = np.full((len(ats), len(lo)), np.nan)
        if inside.any():
            counts = self._count([at for at, ok in zip(ats, inside) if ok], horizontal)
            with np.errstate(invalid="ignore"):  # 0 / 0 for an empty stretch
                out[inside] = (counts[:, hi] - counts[:, lo]) / (hi - lo)
        return out

    def ruled(self, ats: list[int], horizontal: bool, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """Whether each edge `ats[i]` (a row for a horizontal edge, a column for a vertical one) is drawn over each
        stretch. The best single line of pixels, not their union: a band's union would be filled by a text's
        strokes."""
        near = self.shares([at + d for d in (-1, 0, 1) for at in ats], horizontal, starts, stops)
        return cast(np.ndarray, np.fmax.reduce(near.reshape(3, len(ats), -1), axis=0) >= EDGE_RULED)

    def thick(self, ats: list[int], horizontal: bool, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """Whether the line `THIN` pixels to either side of each line `ats[i]` is mostly ink over each stretch (none
        is, beyond the picture)."""
        near = self.shares([at + d for d in (-THIN, THIN) for at in ats], horizontal, starts, stops)
        return cast(np.ndarray, (near.reshape(2, len(ats), -1) >= SMEARED).any(axis=0))


def _spanning(lines: _Lines, ats: list[int], across: list[int], horizontal: bool) -> list[int]:
    """The candidate rules drawn along the whole of at least one band between candidates the other way, and thin
    there: a rule bounds cells, while a long character stroke (or strokes run together by anti-aliasing) floats
    inside one, and a blurred line of text is as thick as the text."""
    if not ats or len(across) < 2:
        return []
    band = (np.array(across[:-1]) + 1, np.array(across[1:]))
    spans = (lines.ruled(ats, horizontal, *band) & ~lines.thick(ats, horizontal, *band)).any(axis=1)
    return [at for at, ok in zip(ats, spans) if ok]


def rules(lines: _Lines) -> tuple[list[int], list[int]]:
    """y of the horizontal rules and x of the vertical ones."""
    ink = lines.ink
    length = max(MIN_RULE, round(RULE_SHARE * max(ink.shape)))
    ys, xs = _centres(_runs(ink, length, axis=1)), _centres(_runs(ink, length, axis=0))
    for _ in range(2):  # each way's strokes are told from rules by the other way's rules
        ys = _spanning(lines, ys, xs, horizontal=True)
        xs = _spanning(lines, xs, ys, horizontal=False)
    return ys, xs


def skew(picture: Image.Image) -> float:
    """The angle (degrees) that makes the rules level: the one whose row profile is sharpest, on a small copy."""
    grey = _grey(picture)
    scale = min(1.0, SKEW_WIDTH / grey.width)
    small = ImageOps.invert(grey.resize((max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))))

    def sharpness(angle: float) -> float:
        profile = np.asarray(small.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.25), key=sharpness)
    return float(max(np.arange(best - 0.2, best + 0.2 + 1e-9, 0.05), key=sharpness))


def boxes(ink: np.ndarray) -> list[Box]:
    """The table's cells, merged cells once at their top-left base cell; [] when the picture holds no ruled table."""
    lines = _Lines(ink)
    ys, xs = rules(lines)
    if (len(ys) < MIN_RULES or len(xs) < MIN_RULES or (len(ys) - 1) * (len(xs) - 1) > MAX_CELLS
            or not _framed(lines, ys, xs)):
        return []
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    # Each inner rule, along the inside of every cell it borders: open where it is not drawn.
    down = (np.array(ys[:-1]) + 3, np.array(ys[1:]) - 2)
    across = (np.array(xs[:-1]) + 3, np.array(xs[1:]) - 2)
    open_right = ~lines.ruled(xs[1:-1], False, *down)  # [c, r]: between (r, c) and (r, c + 1)
    open_below = ~lines.ruled(ys[1:-1], True, *across)  # [r, c]: between (r, c) and (r + 1, c)
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and open_right[c, r]:
                parent[find(r * n_cols + c + 1)] = find(r * n_cols + c)
            if r + 1 < n_rows and open_below[r, c]:
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


def _framed(lines: _Lines, ys: list[int], xs: list[int]) -> bool:
    """Whether the outermost rules close a frame around the rest, as a ruled table's border does (the strokes of
    large characters, taken for rules, do not)."""
    across, down = (np.array([xs[0] + 1]), np.array([xs[-1]])), (np.array([ys[0] + 1]), np.array([ys[-1]]))
    return bool(lines.ruled([ys[0], ys[-1]], True, *across).all()
                and lines.ruled([xs[0], xs[-1]], False, *down).all())


def _is_table(cells: list[Box], n_rows: int, n_cols: int) -> bool:
    """Rules that bound real cells: the merged regions tile the grid as rectangles, and most of it is not one region
    (a frame around a photo, or text with underlines, makes a few huge or ragged regions)."""
    if len(cells) < 4 or sum(b.rowspan * b.colspan for b in cells) != n_rows * n_cols:
        return False
    covered = np.zeros((n_rows, n_cols), dtype=np.int8)
    for b in cells:
        covered[b.row:b.row + b.rowspan, b.col:b.col + b.colspan] += 1
    return bool((covered == 1).all()) and max(b.rowspan * b.colspan for b in cells) < 0.5 * n_rows * n_cols


def _contents(ink: np.ndarray, cells: list[Box]) -> list[tuple[Box, Area]]:
    """Each cell with the bounding box of the ink inside it (rules excluded); empty cells are left out. Which rows hold
    ink is found once per column span of cells and which columns once per row span, not cell by cell: a table's
    cells share a few spans."""
    ink_rows: dict[tuple[int, int], np.ndarray] = {}  # by column span: per row of the picture, ink in the span
    ink_cols: dict[tuple[int, int], np.ndarray] = {}  # by row span: per column of the picture, ink in the span
    found = []
    for box in cells:
        top, bottom, left, right = box.top + 3, box.bottom - 2, box.left + 3, box.right - 2
        if bottom <= top or right <= left:
            continue
        if (left, right) not in ink_rows:
            ink_rows[left, right] = cast(np.ndarray, ink[:, left:right].any(axis=1))
        rows = ink_rows[left, right][top:bottom].nonzero()[0]
        if rows.size == 0:
            continue
        if (top, bottom) not in ink_cols:
            ink_cols[top, bottom] = cast(np.ndarray, ink[top:bottom].any(axis=0))
        cols = ink_cols[top, bottom][left:right].nonzero()[0]
        # A speck of JPEG noise or a sliver of a rule is not text (fewer than 4 pixels: only counted when the rows
        # and columns holding ink are too few to prove 4).
        if ((rows[-1] - rows[0] < 2 and cols[-1] - cols[0] < 2)
                or (max(rows.size, cols.size) < 4 and ink[top:bottom, left:right].sum() < 4)):
            continue
        found.append((box, (left + int(cols[0]), top + int(rows[0]), left + int(cols[-1]) + 1,
                            top + int(rows[-1]) + 1)))
    return found


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
    return picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.Resampling.BICUBIC)


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
    text = None
    if _has_tall_stroke(picture, line):
        text = _read_text(picture, line, lines)
        if _fills_as_cjk(text, size[0], line):
            return text
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
    if text is None:
        text = _read_text(picture, line, lines)
    return text if values.is_value_like(text) or not is_number else number


def _has_tall_stroke(picture: Image.Image, line: int) -> bool:
    """Whether some column of the content holds ink over more of a line's height than any digit does."""
    ink = np.asarray(picture) < INK
    filled = ink.any(axis=0)
    top, bottom = ink.argmax(axis=0), ink.shape[0] - ink[::-1].argmax(axis=0)
    return bool(filled.any() and (bottom - top)[filled].max() > TALL_STROKE * line)


def _fills_as_cjk(text: str, width: int, line: int) -> bool:
    """Whether a reading is CJK characters alone (no digit, no latin letter, no value), several, and as wide as
    characters over the content: chi_sim makes a character of a lone digit now and then (a 7 of 了), but digits are
    narrower than the characters it would make of them."""
    cjk = len(_CJK.findall(text))
    return (cjk >= CJK_READING and not _LATIN.search(text) and not values.is_value_like(text)
            and width >= CJK_WIDTH * cjk * line)


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
    parts = [(left, a, right, b) for a, b in itertools.pairwise(bounds)]
    return [_trimmed(ink, part) for part in parts if ink[part[1]:part[3], left:right].any()]


def read_cells(picture: Image.Image, ink: np.ndarray, cells: list[Box]) -> dict[Box, str]:
    """Each non-empty cell's text, read line by line from its content alone (no rules, no neighbours)."""
    found = _contents(ink, cells)
    if not found:
        return {}
    line = _line_height(found)
    grey = np.asarray(_grey(picture))
    texts = {}
    for box, area in found:
        parts = _lines_of(ink, area, max(1, round((area[3] - area[1]) / line)))
        pieces = []
        for left, top, right, bottom in parts:
            height, width = bottom - top, right - left
            lines = max(1, round(height / line))
            maybe_number = lines == 1 and height <= NUMBER_HEIGHT * line and width <= NUMBER_WIDTH * line
            pixels = grey[top:bottom, left:right].tobytes()
            pieces.append(_recognise(pixels, (width, height), line, lines, maybe_number))
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
    grey = _grey(picture)
    ink = _ink(grey)
    cells = boxes(ink)
    if not cells:
        # Rules off the level by a degree (a scan, a photo) are rows of a few pixels each: level them first.
        angle = skew(grey)
        if abs(angle) < 0.05:
            return None
        grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
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

"""Printed pages (PDF, OFD) → prose in reading order outside the ruled tables, and the tables as grids with their
merged cells.

A reader gives each page's glyphs (dicts: text, x0, x1, top, bottom, size; top-down coordinates in points) and its
ruling segments (pdfplumber's edge dicts). pdfplumber's table finder turns the rulings into cells; each table's cells
are laid on the table's distinct ruling coordinates to give rowspan/colspan, each glyph goes to the one cell or prose
line that holds it (one pass per page, not one crop per cell), and a table that ends a page and one that starts the
next with the same column rulings are stitched into one grid.

Text is assembled from glyphs directly: a gap between two CJK glyphs is justification, not a space.
"""
from __future__ import annotations

import bisect
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pdfplumber.table import TableSettings, cells_to_tables, edges_to_intersections, merge_edges
from pdfplumber.utils.geometry import filter_edges

from pipelines.document import Cell, Grid
from pipelines.formats.cjk import is_wide, join_lines
from pipelines.formats.grids import compact

_TOLERANCE = 2.0  # points within which two rulings or edges are the same
_MARGIN_ZONE = 0.08  # top and bottom share of a page where running headers, footers and page numbers sit
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/,，]?\s*共\s*\d+\s*页)?[-—–\s]*$"
                          r"|^\d+\s*/\s*\d+$")
_ITEM_NUMBER = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十\d]{1,3}[、.．](?!\d))")
_VALUE = re.compile(r"^[\d.,，+\-%／/—]+$")
# Line breaking keeps an opening bracket with what follows and closing punctuation with what precedes; quotation
# marks bind both ways (UAX #14, class QU).
_QUOTES = "“”‘’\""
_OPENING = set("（《「『〈【〔([{" + _QUOTES)
_CLOSING = set("，。、；：？！）》」』〉】〕…—%,.;:?!)]}" + _QUOTES)
_HEADING_ROWS = 3  # the national form's tables have at most three rows of column headings
_TABLE_SETTINGS = TableSettings.resolve(None)  # pdfplumber's defaults for ruled tables
_AXIS = 1e-3  # points: a segment whose ends differ less than this across it is horizontal (vertical)


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    lead: float  # width of the line's first unbreakable unit: had it fitted, the line above would have taken it


@dataclass
class _Box:
    """One cell of a table part, in page coordinates (or document coordinates once stitched)."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str


@dataclass
class _Table:
    first_page: int
    last_page: int
    top: float  # on its first page, to order it among that page's lines
    bottom: float  # of the stitched whole, in its own coordinates
    boxes: list[_Box]


@dataclass
class Page:
    """One page laid out: its lines and tables top to bottom, or `scanned` when it has no usable text layer."""

    number: int
    width: float
    height: float
    items: list[_Line | _Table] = field(default_factory=list)  # top to bottom
    scanned: bool = False


def _cluster(values: list[float]) -> list[float]:
    """Distinct coordinates: values closer than the tolerance to the previous one collapse into it."""
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > _TOLERANCE:
            out.append(value)
    return out


def _index(bounds: list[float], value: float) -> int:
    """The boundary nearest to `value`."""
    i = bisect.bisect_left(bounds, value)
    if i == len(bounds) or (i > 0 and value - bounds[i - 1] < bounds[i] - value):
        return i - 1
    return i


def _line_text(chars: list[dict[str, Any]]) -> str:
    out: list[str] = []
    previous = None
    for char in sorted(chars, key=lambda c: c["x0"]):
        text = char["text"]
        # Drawn spaces are kept as they are (runs collapse below); a gap stands for a space between narrow glyphs,
        # and between wide ones only when it is wider than justification ever stretches.
        if previous is not None and " " not in (text, previous["text"]):
            gap = char["x0"] - previous["x1"]
            size = max(char["size"], previous["size"], 1.0)
            if gap > 2 * size or (gap > 0.25 * size and not is_wide(text[0]) and not is_wide(previous["text"][-1])):
                out.append(" ")
        out.append(text)
        previous = char
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _lines(chars: list[dict[str, Any]]) -> list[_Line]:
    """Glyphs grouped into visual lines: a glyph joins the line whose vertical band holds its middle."""
    groups: list[list[dict[str, Any]]] = []
    band_top = band_bottom = 0.0
    for char in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])):
        middle = (char["top"] + char["bottom"]) / 2
        if groups and band_top <= middle <= band_bottom:
            groups[-1].append(char)
        else:
            groups.append([char])
            band_top, band_bottom = char["top"], char["bottom"]
    lines = []
    for group in groups:
        text = _line_text(group)
        if text:
            group.sort(key=lambda c: c["x0"])
            lines.append(_Line(
                text, group[0]["x0"], max(c["x1"] for c in group), min(c["top"] for c in group),
                max(c["bottom"] for c in group), statistics.median(c["size"] for c in group), _lead(group),
            ))
    return lines


def _lead(chars: list[dict[str, Any]]) -> float:
    """Width of the first unit a line breaker keeps together: a word of Latin letters or digits, a CJK character,
    either with the opening brackets before it and the closing punctuation after it."""
    texts = [c["text"] for c in chars]
    end = 0
    while end + 1 < len(texts) and (
        texts[end] in _OPENING or texts[end + 1] in _CLOSING or (_is_word(texts[end]) and _is_word(texts[end + 1]))
    ):
        end += 1
    lead: float = chars[end]["x1"] - chars[0]["x0"]
    return lead


def _is_word(text: str) -> bool:
    """Part of a Latin word, number, address or URL ("90.63%", "a@b.cn"): no line break inside."""
    return text.strip() != "" and not is_wide(text[0])


def _table(cells: list[tuple[float, float, float, float]], chars: list[dict[str, Any]], page_number: int
           ) -> tuple[_Table, list[dict[str, Any]]] | None:
    """The table's cells with their text, and the glyphs it does not hold; None for a lone framed box."""
    xs = _cluster([c[0] for c in cells] + [c[2] for c in cells])
    ys = _cluster([c[1] for c in cells] + [c[3] for c in cells])
    if len(xs) < 3 and len(ys) < 3:
        return None  # a frame around prose, not a table
    owner: dict[tuple[int, int], int] = {}
    for n, (x0, top, x1, bottom) in enumerate(cells):
        for r in range(_index(ys, top), _index(ys, bottom)):
            for c in range(_index(xs, x0), _index(xs, x1)):
                owner[(r, c)] = n
    held: list[list[dict[str, Any]]] = [[] for _ in cells]
    rest: list[dict[str, Any]] = []
    for char in chars:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        cell: int | None = None
        if xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]:
            cell = owner.get((bisect.bisect_right(ys, y) - 1, bisect.bisect_right(xs, x) - 1))
        if cell is None:
            rest.append(char)
        else:
            held[cell].append(char)
    boxes = [
        _Box(x0, top, x1, bottom, join_lines([line.text for line in _lines(held[n])]))
        for n, (x0, top, x1, bottom) in enumerate(cells)
    ]
    return _Table(page_number, page_number, ys[0], ys[-1], boxes), rest


Matrix = tuple[float, float, float, float, float, float]  # a, b, c, d, e, f as in PDF and OFD


def compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The transformation `inner` followed by `outer`."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer  # noqa: N806 (a matrix's letters, as in the PDF reference)
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def ruling(x0: float, top0: float, x1: float, top1: float) -> dict[str, Any] | None:
    """A straight segment (top-down points) as pdfplumber's edge when it is horizontal or vertical, else None."""
    if abs(top0 - top1) < _AXIS and abs(x0 - x1) >= _AXIS:
        left, right = sorted((x0, x1))
        return {"x0": left, "x1": right, "top": top0, "bottom": top0, "width": right - left, "height": 0.0,
                "orientation": "h"}
    if abs(x0 - x1) < _AXIS and abs(top0 - top1) >= _AXIS:
        top, bottom = sorted((top0, top1))
        return {"x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0.0, "height": bottom - top,
                "orientation": "v"}
    return None


def _tables(edges: list[dict[str, Any]]) -> list[list[tuple[float, float, float, float]]]:
    """The cells (x0, top, x1, bottom) of each ruled table, as pdfplumber's `find_tables` finds them."""
    settings = _TABLE_SETTINGS
    edges = [*filter_edges(edges, "v", min_length=settings.edge_min_length_prefilter),
             *filter_edges(edges, "h", min_length=settings.edge_min_length_prefilter)]
    edges = filter_edges(merge_edges(edges, settings.snap_x_tolerance, settings.snap_y_tolerance,
                                     settings.join_x_tolerance, settings.join_y_tolerance),
                         min_length=settings.edge_min_length)
    intersections = edges_to_intersections(edges, settings.intersection_x_tolerance,
                                           settings.intersection_y_tolerance)
    return cells_to_tables(_cells(intersections))


def _cells(intersections: dict[tuple[float, float], dict[str, list[dict[str, Any]]]]
           ) -> list[tuple[float, float, float, float]]:
    """pdfplumber's `intersections_to_cells`, the same cells in the same order: for each ruling crossing, the smallest
    cell it opens. Its version rebuilt each crossing's edge sets for every pair it tried, a fifth of a page's time."""
    def bboxes(edges: list[dict[str, Any]]) -> frozenset[tuple[float, ...]]:
        return frozenset((e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges)

    vertical = {p: bboxes(i["v"]) for p, i in intersections.items()}
    horizontal = {p: bboxes(i["h"]) for p, i in intersections.items()}

    def connects(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return ((a[0] == b[0] and not vertical[a].isdisjoint(vertical[b]))
                or (a[1] == b[1] and not horizontal[a].isdisjoint(horizontal[b])))

    points = sorted(intersections)
    columns: dict[float, list[tuple[float, float]]] = {}
    rows: dict[float, list[tuple[float, float]]] = {}
    for point in points:  # each list in (x, top) order, as the points are
        columns.setdefault(point[0], []).append(point)
        rows.setdefault(point[1], []).append(point)
    cells = []
    for point in points:
        below = [q for q in columns[point[0]] if q[1] > point[1]]
        right = [q for q in rows[point[1]] if q[0] > point[0]]
        cell = next(((point[0], point[1], r[0], b[1]) for b in below if connects(point, b) for r in right
                     if connects(point, r) and (r[0], b[1]) in intersections
                     and connects((r[0], b[1]), r) and connects((r[0], b[1]), b)), None)
        if cell is not None:
            cells.append(cell)
    return cells


def read_page(number: int, width: float, height: float, chars: list[dict[str, Any]],
              edges: list[dict[str, Any]]) -> Page:
    """A page's lines and tables from its glyphs and ruling segments."""
    result = Page(number, round(width), height)
    tables = []
    for cells in _tables(edges):
        read = _table(cells, chars, number)
        if read is not None:
            table, chars = read
            tables.append(table)
    result.items = sorted([*_lines(chars), *tables], key=lambda item: item.top)
    return result


def _drop_page_furniture(pages: list[Page]) -> None:
    """Remove page numbers and running headers/footers (margin lines repeated on several pages)."""
    def margin_line(item: _Line | _Table, page: Page) -> _Line | None:
        in_margin = item.bottom < page.height * _MARGIN_ZONE or item.top > page.height * (1 - _MARGIN_ZONE)
        return item if isinstance(item, _Line) and in_margin else None

    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text)

    def furniture(item: _Line | _Table, page: Page) -> bool:
        line = margin_line(item, page)
        return line is not None and (bool(_PAGE_NUMBER.match(line.text)) or repeated[key(line)] > 1)

    repeated: Counter[str] = Counter()  # pages a margin line occurs on
    for page in pages:
        repeated.update({key(line) for item in page.items if (line := margin_line(item, page)) is not None})
    for page in pages:
        page.items = [item for item in page.items if not furniture(item, page)]


def _columns(boxes: list[_Box]) -> list[float]:
    return _cluster([b.x0 for b in boxes] + [b.x1 for b in boxes])


def _same_columns(a: list[float], b: list[float]) -> bool:
    """Same outer edges, and one part's column rulings a subset of the other's (merged cells hide some rulings)."""
    if abs(a[0] - b[0]) > _TOLERANCE or abs(a[-1] - b[-1]) > _TOLERANCE:
        return False
    small, large = sorted((a, b), key=len)
    return all(any(abs(x - y) <= _TOLERANCE for y in large) for x in small)


def _grid_rows(boxes: list[_Box], xs: list[float]) -> tuple[list[list[str]], list[float]]:
    ys = _cluster([b.top for b in boxes] + [b.bottom for b in boxes])
    rows = [[""] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for b in boxes:
        for r in range(_index(ys, b.top), _index(ys, b.bottom)):
            for c in range(_index(xs, b.x0), _index(xs, b.x1)):
                rows[r][c] = b.text
    return rows, ys


def _stitch(upper: _Table, lower: _Table) -> None:
    """Append `lower` (the part at the top of the next page) to `upper`, in `upper`'s coordinates."""
    upper_xs = _columns(upper.boxes)
    snap = {x: upper_xs[_index(upper_xs, x)] if abs(upper_xs[_index(upper_xs, x)] - x) <= _TOLERANCE else x
            for b in lower.boxes for x in (b.x0, b.x1)}
    shift = upper.bottom - lower.top
    boxes = [_Box(snap[b.x0], b.top + shift, snap[b.x1], b.bottom + shift, b.text) for b in lower.boxes]
    xs = _cluster(upper_xs + [x for b in boxes for x in (b.x0, b.x1)])

    # Word and LibreOffice repeat the heading rows on every page when asked to: keep the first copy only.
    upper_rows, _ = _grid_rows(upper.boxes, xs)
    lower_rows, lower_ys = _grid_rows(boxes, xs)
    repeated = 0
    while (repeated < len(lower_rows) - 1 and repeated < len(upper_rows)
           and lower_rows[repeated] == upper_rows[repeated] and any(lower_rows[repeated])):
        repeated += 1
    if repeated:
        boxes = [b for b in boxes if b.top >= lower_ys[repeated] - _TOLERANCE]
        top = lower_ys[repeated]
        boxes = [_Box(b.x0, b.top - (top - upper.bottom), b.x1, b.bottom - (top - upper.bottom), b.text) for b in boxes]
        _, lower_ys = _grid_rows(boxes, xs)

    upper.boxes.extend(_join_seam(upper, boxes, lower_ys))
    upper.last_page = lower.last_page
    upper.bottom = max(b.bottom for b in upper.boxes)


def _join_seam(upper: _Table, lower: list[_Box], lower_ys: list[float]) -> list[_Box]:
    """Join the cells that the page break cut in two; the boxes of `lower` that remain separate cells.

    Four ways a cell is cut, told apart by the pairs of cells (same column span) meeting at the break:
    - a cell merged over rows (a label spanning many rows): one part spans several rows, and the text is on one
      side of the break or runs on over it (the lower part does not start a numbered item of its own);
    - a cell merged over rows whose text did not fit on the first page: every upper part of the break is blank;
    - a row allowed to break across pages: every cell of the row pairs up, the upper parts hold the values, and
      the lower parts hold only the rest of wrapped labels (which never start with an item number: a lower label
      that does is a new row whose values happen to be blank);
    - a break inside the heading rows (a table starting at the foot of a page): no value anywhere yet, so every
      pair is one heading cell ("自然" above, "人" below), whichever part holds its text.
    """
    upper_ys = _cluster([b.top for b in upper.boxes] + [b.bottom for b in upper.boxes])
    ending = {(round(b.x0), round(b.x1)): b for b in upper.boxes if abs(b.bottom - upper.bottom) <= _TOLERANCE}
    seam = [b for b in lower if abs(b.top - upper.bottom) <= _TOLERANCE]
    pairs = {id(b): ending[span] for b in seam if (span := (round(b.x0), round(b.x1))) in ending}
    pushed = any(b.text for b in seam if id(b) in pairs) and not any(a.text for a in pairs.values())
    met = [(pairs[id(b)], b) for b in seam] if len(pairs) == len(seam) == len(ending) else []
    split_row = (
        any(a.text and not b.text for a, b in met)
        and any(b.text for _, b in met)
        and all(a.text and not _ITEM_NUMBER.match(b.text) and not _VALUE.match(b.text) for a, b in met if b.text)
    )
    heading = len(upper_ys) <= _HEADING_ROWS + 1 and not any(
        _VALUE.match(b.text) for b in [*upper.boxes, *seam] if b.text
    )
    kept = []
    for b in lower:
        above = pairs.get(id(b))
        if above is not None and (split_row or pushed or heading or (_one_cell(above, b) and (
            _spanned_rows(above, upper_ys) > 1 or _spanned_rows(b, lower_ys) > 1
        ))):
            above.bottom = b.bottom
            above.text = join_lines([above.text, b.text])
        else:
            kept.append(b)
    return kept


def _one_cell(above: _Box, below: _Box) -> bool:
    """Whether two label parts meeting at a break can be one text: one is blank, or the lower one goes on with
    the upper one's words."""
    if not above.text or not below.text:
        return bool(above.text) != bool(below.text)
    return not (_ITEM_NUMBER.match(below.text) or _VALUE.match(below.text) or _VALUE.match(above.text))


def _spanned_rows(box: _Box, ys: list[float]) -> int:
    return _index(ys, box.bottom) - _index(ys, box.top)


def _to_grid(table: _Table, kind: str) -> Grid:
    xs = _columns(table.boxes)
    ys = _cluster([b.top for b in table.boxes] + [b.bottom for b in table.boxes])
    rows: list[list[Cell | None]] = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for b in sorted(table.boxes, key=lambda b: (b.top, b.x0)):
        # Overlapping boxes (rare drawing errors) share positions: the first one keeps them.
        free = [(r, c) for r in range(_index(ys, b.top), _index(ys, b.bottom))
                for c in range(_index(xs, b.x0), _index(xs, b.x1)) if rows[r][c] is None]
        for r, c in free:
            rows[r][c] = Cell(b.text, free[0])
    pages = f"page {table.first_page}" if table.first_page == table.last_page else \
        f"pages {table.first_page}-{table.last_page}"
    return compact(Grid([[cell or Cell("", (r, c)) for c, cell in enumerate(row)] for r, row in enumerate(rows)],
                        f"{kind} {pages}"))


def _margins(pages: list[Page]) -> dict[float, tuple[float, float]]:
    """Text block edges (left, right) per page width, from the whole document: a sparse last page or a page of
    centred headings says nothing about where the body text runs."""
    lines: dict[float, list[_Line]] = {}
    for page in pages:
        lines.setdefault(page.width, []).extend(i for i in page.items if isinstance(i, _Line))
    margins = {}
    for width, found in lines.items():
        body = [line for line in found if len(line.text) >= 5] or found
        margins[width] = (min((ln.x0 for ln in body), default=0.0), max((ln.x1 for ln in body), default=width))
    return margins


def _centred(line: _Line, left: float, right: float) -> bool:
    return abs((line.x0 + line.x1) - (left + right)) / 2 < 0.5 * line.size


def _assemble(pages: list[Page]) -> tuple[list[str], list[_Table]]:
    """Paragraphs and stitched tables of the whole document, in reading order."""
    paragraphs: list[list[str]] = []
    tables: list[_Table] = []
    open_line: _Line | None = None  # the last line of a paragraph that may go on
    last_table: _Table | None = None  # a table that ended its page and may go on
    margins = _margins(pages)
    gaps = [b.top - a.bottom for page in pages for a, b in zip(page.items, page.items[1:])
            if isinstance(a, _Line) and isinstance(b, _Line) and b.top > a.bottom]
    usual_gap = statistics.median(gaps) if gaps else 0.0
    for page in pages:
        left, right = margins[page.width]
        for n, item in enumerate(page.items):
            if isinstance(item, _Table):
                if n == 0 and last_table is not None and _same_columns(
                    _columns(last_table.boxes), _columns(item.boxes)
                ):
                    _stitch(last_table, item)
                else:
                    tables.append(item)
                    last_table = item
                open_line = None
                continue
            last_table = None
            # The line above ended only because this line's first unit did not fit after it (on either side, for
            # a centred title), this line is not indented, does not start a numbered item, and follows at the
            # usual distance.
            centred = (
                open_line is not None and len(paragraphs[-1]) == 1 and open_line.size == item.size
                and _centred(open_line, left, right) and _centred(item, left, right) and item.x0 > left + item.size
            )
            free = right - open_line.x1 + (open_line.x0 - left if centred else 0) if open_line else 0.0
            continues = (
                open_line is not None
                and free < item.lead + 0.5 * item.size
                and (item.x0 <= left + 0.9 * item.size or centred)
                and not _ITEM_NUMBER.match(item.text)
                and (n == 0 or item.top - open_line.bottom <= usual_gap + 0.8 * item.size)
            )
            if continues:
                paragraphs[-1].append(item.text)
            else:
                paragraphs.append([item.text])
            open_line = item
    return [join_lines(p) for p in paragraphs], tables


def lay_out(pages: list[Page], inserted: dict[int, str], kind: str) -> tuple[str, list[Grid]]:
    """The document's prose (one paragraph a line) and tables (their source: `kind` and pages). Scanned pages break
    the run of pages assembled together; the text `inserted` for one (by OCR) comes in between as it is."""
    _drop_page_furniture([p for p in pages if not p.scanned])
    paragraphs: list[str] = []
    tables: list[_Table] = []
    run: list[Page] = []
    for page in [*pages, None]:
        if page is None or page.scanned:
            texts, found = _assemble(run)
            paragraphs.extend(texts)
            tables.extend(found)
            run = []
            if page is not None and page.number in inserted:
                paragraphs.extend(line for line in inserted[page.number].split("\n") if line)
        else:
            run.append(page)
    return "\n".join(p for p in paragraphs if p), [_to_grid(t, kind) for t in tables]

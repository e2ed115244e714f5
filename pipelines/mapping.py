"""Table grids → the schema's field keys, for both national templates.

Real tables differ from the form in every way that does not change their meaning: labels split by spaces or line
breaks, other bracket styles and numbering, annotations, merged cells kept or flattened, columns shifted by a
text rendering. So rows are recognised by the keywords of their own labels (and the group label above them), and
values are taken by position relative to the column headers where headers exist (sections 二 and 四) and as the
trailing run of value cells where they do not (section 三, whose seven columns are fixed by the form).

What the form fixes is evidence too. A row of section 三 whose label matches no keyword (a typo, dropped characters,
traditional characters) is placed among the rows its exactly-matched neighbours leave free between them: by label
similarity (rapidfuzz), by its position when the free rows and the unplaced ones pair up in order, or, failing both,
by arithmetic when the consistency rules (R1/R2) hold only with its numbers in the one row left. A row placed none of
these ways is left out with a warning naming its label: null, never a guess. `Mapped.placement` says how each key's
row was placed.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz

from pipelines import schema, values
from pipelines.document import Grid

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．,，]|\(?[一二三四五六七八九十]+\)|\(?\d{1,2}\)|\d{1,2}[、.．,，](?!\d))+"
)
_ANNOTATION = re.compile(r"\([^)]*\)")
_CIRCLED = re.compile(r"^\s*[\u2460-\u2473\u2776-\u277f]")  # ①…⑳, ❶…❿: NFKC would turn them into bare digits

# How a key's row was placed (`Mapped.placement`, the `placement` of the extract JSON).
BY_LABEL, BY_NEAR_LABEL, BY_ARITHMETIC = "label", "near_label", "arithmetic"
_NEAR = 75  # rapidfuzz ratio (0–100) above which a label is a near-miss of a form label
_NEAR_MARGIN = 10  # …and beats the next candidate by this much
_AT_POSITION = 50  # a lower ratio suffices for a row whose position the form fixes

# Section 二: row labels and column headers (keywords on normalised text, first match wins).
_ACTIVE_ROWS = (
    ("规范性文件", "normative_docs"), ("规章", "regulations"), ("其他对外管理服务", "other_services"),
    ("行政许可", "licensing"), ("行政处罚", "punishment"), ("行政强制", "coercion"), ("收费", "fees"),
    ("采购", "procurement"),
)
_ACTIVE_COLUMNS = (
    ("制发", "issued"), ("废止", "repealed"), ("现行有效", "in_force"), ("新制作", "new_made"),
    ("新公开", "new_published"), ("公开总", "total_published"), ("项目数量", "items_or_prev"),
    ("增", "change"), ("减", "change"), ("处理决定", "decisions"), ("收费金额", "amount_10k_yuan"),
    ("采购总金额", "amount_10k_yuan"), ("金额", "amount_10k_yuan"),
)
_TEMPLATE_OF_COLUMN = {"issued": "2021", "repealed": "2021", "in_force": "2021", "new_made": "2019",
                       "new_published": "2019", "total_published": "2019", "prev_year_items": "2019",
                       "change": "2019", "items": "2019"}

# Section 三: leaf rows by keyword; groups by keyword.
_APPLICATION_LEAVES = (
    ("本年新收", "new_received"), ("上年结转", "carried_over"), ("结转下年", "carried_forward"),
    ("部分公开", "partial"), ("国家秘密", "denied_state_secret"), ("禁止公开", "denied_law_forbidden"),
    ("三安全", "denied_three_safety"), ("第三方", "denied_third_party"), ("内部事务", "denied_internal_affairs"),
    ("过程性", "denied_process_info"), ("执法案卷", "denied_enforcement_file"), ("查询事项", "denied_admin_query"),
    ("不掌握", "unable_not_held"), ("另行制作", "unable_need_create"), ("没有现成", "unable_need_create"),
    ("不明确", "unable_unclear"), ("信访", "not_processed_petition"), ("投诉", "not_processed_petition"),
    ("重复申请", "not_processed_repeat"), ("出版物", "not_processed_publication"),
    ("反复申请", "not_processed_massive"), ("重新出具", "not_processed_confirm"),
    ("确认", "not_processed_confirm"), ("不补正", "other_overdue_correction"), ("收费通知", "other_overdue_fee"),
    ("缴纳费用", "other_overdue_fee"),
)
_APPLICATION_GROUPS = (("不予公开", "denied"), ("无法提", "unable"), ("不予处理", "not_processed"),
                       ("其他处理", "other"))

_REVIEW_GROUPS = (("未经复议", "litigation_direct"), ("复议后", "litigation_after_review"),
                  ("行政复议", "review"))
_REVIEW_COLUMNS = {values.normal(v): k for k, v in schema.REVIEW_COLUMN_LABELS.items()}


@lru_cache(maxsize=1)
def _to_simplified() -> dict[int, str]:
    """OpenCC's traditional → simplified character table, as opencc-purepy packages it. A label is matched character
    by character; OpenCC itself would load its phrase dictionaries too (24 MB more in every extraction process)."""
    text = (resources.files("opencc_purepy") / "dicts" / "TSCharacters.txt").read_text("utf-8")
    table = {}
    for line in text.splitlines():
        traditional, _, simplified = line.partition("\t")
        if len(traditional) == 1 and simplified:
            table[ord(traditional)] = simplified.split()[0]
    return table


@lru_cache(maxsize=65536)  # the national form's labels repeat in every report
def normalise(label: str) -> str:
    """Label text for matching: traditional characters, width, spaces, line breaks and leading numbering removed."""
    text = values.normal(_CIRCLED.sub("", label))
    if text and not values.is_value_like(text):
        text = text.translate(_to_simplified())
    return _NUMBERING.sub("", text)


def _bare(label: str) -> str:
    return _ANNOTATION.sub("", label)


def _near(text: str, candidates: dict[str, str]) -> tuple[str | None, float, float]:
    """(best key, its ratio, the runner-up's ratio) of `text` against candidate key → normalised label."""
    scored = sorted(((fuzz.ratio(text, label), key) for key, label in candidates.items()), reverse=True)
    if not scored:
        return None, 0.0, 0.0
    return scored[0][1], scored[0][0], scored[1][0] if len(scored) > 1 else 0.0


def _match(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    for keyword, key in table:
        if keyword in text:
            return key
    return None


@dataclass
class Mapped:
    """Cells found for schema keys (raw text per key), the template evidence, and what went wrong."""

    raw: dict[str, str] = field(default_factory=dict)
    template_votes: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    sections: set[str] = field(default_factory=set)
    # Money units stated in section 二 headers ("（单位：元）"), by key.
    units: dict[str, str] = field(default_factory=dict)
    placement: dict[str, str] = field(default_factory=dict)  # key → BY_LABEL | BY_NEAR_LABEL | BY_ARITHMETIC

    def put(self, key: str, text: str, how: str = BY_LABEL) -> None:
        if key in self.raw and self.raw[key] != text:
            self.warnings.append(f"{key}: found twice ({self.raw[key]!r}, then {text!r}); kept the first")
            return
        self.raw[key] = text
        self.placement[key] = how


def _section_of(texts: list[str]) -> str | None:
    joined = "".join(texts)
    if "第二十条" in joined or "信息内容" in joined:
        return "active"
    if any(k in joined for k in ("申请人情况", "自然人", "本年新收", "本年度办理结果")):
        return "applications"
    if "行政复议" in joined or "行政诉讼" in joined:
        return "review"
    return None


@dataclass
class _AppRow:
    """A data row of section 三 waiting to be placed: its labels, the group in force, its cells by column."""

    labels: list[str]
    group: str | None
    cells: dict[str, str]  # applicant column → cell text
    leaf: str | None = None
    how: str = BY_LABEL

    @property
    def label(self) -> str:
        return self.labels[-1]

    def number(self, col: str) -> float | None:
        return values.parse(self.cells[col]).number if col in self.cells else None


# Every row section 三 may have, in the form's order (the 2021 sub-rows of （六） and the 2019 single row share a slot).
_APPLICATION_ORDER = (
    "new_received", "carried_over", *schema.RESULT_LEAVES["2021"], "other", "total_processed", "carried_forward",
)
_APPLICATION_LABELS = {row: normalise(_bare(schema.APPLICATION_ROW_LABELS[row])) for row in _APPLICATION_ORDER}
_APPLICANT_NAMES = {col: normalise(label) for col, label in schema.APPLICANT_COLUMN_LABELS.items()}
_APPLICANT_HEADERS = {label: col for col, label in _APPLICANT_NAMES.items()}
_REMARK_HEADERS = ("备注", "说明")


class _GridWalker:
    """Walks the rows of every grid in document order, keeping the context that spans rows and tables."""

    def __init__(self) -> None:
        self.out = Mapped()
        self.section: str | None = None
        # Section 二: relative column offset → (column key, money unit stated in the header).
        self.active_header: dict[int, tuple[str, str | None]] | None = None
        self.active_block: tuple[str, ...] = ()  # the rows the current 第二十条 item may hold
        self.group: str | None = None
        # Section 三: grid column → applicant column, from the column headers (kept over a table split by a page).
        self.app_columns: dict[int, str] = {}
        self.app_columns_bad = False
        self.app_width = 0  # the header row's width: a table going on in another grid is aligned on its right edge
        self.app_header_open = True  # header rows may still come in this grid
        self.app_header_fresh_grid = True  # a header row in a new grid starts a new table's columns
        self.app_rows: list[_AppRow] = []
        self.review_positions: list[int] = []  # columns of section 四's sub-labels, in reading order
        self.review_labels: list[str] = []
        self.review_done = False

    def walk(self, grids: list[Grid]) -> Mapped:
        for grid in grids:
            self.review_positions = []
            self.review_labels = []
            self.app_header_open = self.app_header_fresh_grid = True
            for r, row in enumerate(grid.rows):
                texts = [cell.text for cell in row]
                normed = [normalise(t) for t in texts]
                section = _section_of(normed)
                if section and section != self.section:
                    self._leave_section()
                    self.section = section
                    self.group = None
                if self.section == "active":
                    self._active_row(grid, r, normed)
                elif self.section == "applications":
                    self._application_row(grid, r, normed)
                elif self.section == "review":
                    self._review_row(grid, r, normed)
        self._leave_section()
        return self.out

    def _leave_section(self) -> None:
        if self.section == "applications":
            _place_application_rows(self.app_rows, self.out)
            self.app_rows = []

    # Section 二 ---------------------------------------------------------------------------------------------
    def _active_row(self, grid: Grid, r: int, normed: list[str]) -> None:
        row = grid.rows[r]
        if "信息内容" in normed:
            start = normed.index("信息内容")
            header: dict[int, tuple[str, str | None]] = {}
            for offset, text in enumerate(normed[start + 1:], start=1):
                key = _match(_bare(text), _ACTIVE_COLUMNS) or _match(text, _ACTIVE_COLUMNS)
                if key:
                    header[offset] = (key, values.header_unit(row[start + offset].text))
            self.active_header = header
            return
        label_at = next((c for c, t in enumerate(normed) if t), None)
        if label_at is None:
            return
        item = re.search(r"第二十条第\(?([一二三四五六七八九十]+)\)?项", normed[label_at])
        if item:
            self.active_block = _ACTIVE_BLOCK_ROWS.get(item.group(1), ())
            return
        label = _bare(normed[label_at]) or normed[label_at]
        row_key, how = _match(label, _ACTIVE_ROWS), BY_LABEL
        if row_key is None and self.active_block and self.active_header is not None \
                and any(values.normal(row[label_at + o].text) for o in self.active_header if label_at + o < len(row)):
            candidates = {k: _ACTIVE_ROW_NAMES[k] for k in self.active_block}
            best, score, runner_up = _near(label, candidates)
            if best and score >= _NEAR and score - runner_up >= _NEAR_MARGIN:
                row_key, how = best, BY_NEAR_LABEL
            else:
                self.out.warnings.append(f"section 二: row {normed[label_at]!r} matches no row of the form; left out")
        if row_key is None or self.active_header is None:
            return
        self.out.sections.add("active")
        for offset, (col, unit) in self.active_header.items():
            c = label_at + offset
            if c >= len(row) or grid.is_copy(r, c):
                continue
            if col == "items_or_prev":
                col = "items" if row_key == "procurement" else "prev_year_items"
            if col in _TEMPLATE_OF_COLUMN:
                self.out.template_votes[_TEMPLATE_OF_COLUMN[col]] += 1
            key = f"active.{row_key}.{col}"
            if unit:
                self.out.units[key] = unit
            self.out.put(key, row[c].text, how)
        if row_key in ("other_services", "procurement"):
            self.out.template_votes["2019"] += 1

    # Section 三 ---------------------------------------------------------------------------------------------
    def _application_header(self, row_texts: list[str], numbers: bool) -> bool:
        """Take the applicant columns a header row names; True when the row is a header row."""
        if numbers or not self.app_header_open:
            return False
        found = {}
        for c, text in enumerate(row_texts):
            col = _APPLICANT_HEADERS.get(text)
            if col is None and text and len(text) <= 8:
                best, score, runner_up = _near(text, _APPLICANT_NAMES)
                col = best if score >= _NEAR and score - runner_up >= _NEAR_MARGIN else None
            if col is not None:
                found[c] = col
            elif text in _REMARK_HEADERS:
                found[c] = ""  # a column of remarks: not a value column
        if not found:
            return False
        if self.app_header_fresh_grid:
            self.app_columns, self.app_columns_bad = {}, False
            self.app_header_fresh_grid = False
        if any(self.app_columns.get(c, col) != col for c, col in found.items()) \
                or len(set(found.values()) - {""}) < len([v for v in found.values() if v]):
            self.app_columns_bad = True  # headers out of line with the columns (a text rendering): not a map
        self.app_columns.update(found)
        self.app_width = len(row_texts)
        return True

    def _application_cells(self, grid: Grid, r: int) -> tuple[int, dict[str, str]] | None:
        """(where the labels end, the row's cells by applicant column), by the header's columns when they fit."""
        row = grid.rows[r]
        end = self._row_end(grid, r)
        shift = end - self.app_width
        header = {c + shift: col for c, col in self.app_columns.items()}
        columns = {c: col for c, col in header.items() if col}
        # A header is a map when it names at least five applicant columns, each once, and every column from the first
        # it names to the row's end (a 备注 column included).
        if not self.app_columns_bad and len(set(columns.values())) >= 5 and len(set(columns.values())) == len(columns) \
                and header and set(header) == set(range(min(header), end)) and min(header) > 0:
            if all(values.is_value_like(row[c].text) or grid.is_copy(r, c) for c in columns):
                return min(header), {col: row[c].text for c, col in columns.items() if not grid.is_copy(r, c)}
            if len(columns) < len(schema.APPLICANT_COLUMNS) or len(header) != len(columns):
                return None  # a form changed by its publisher: never right-align into it
        # The trailing run of value cells, merged-cell copies left out, right-aligned to the form's seven columns.
        n = len(row)
        start = n
        while start > 0 and values.is_value_like(row[start - 1].text):
            start -= 1
        cells = [row[c].text for c in range(start, n) if not grid.is_copy(r, c)]
        width = len(schema.APPLICANT_COLUMNS)
        if len(cells) != width:
            cells = _fit(cells, width) or []
        return start, dict(zip(schema.APPLICANT_COLUMNS, cells))

    def _row_end(self, grid: Grid, r: int) -> int:
        """Where the row's own cells end. A row continuing the table after a break (a page, an article's next part)
        may be narrower than the header's row, the grid padding it with blanks on the right: numbers then stand left of
        the header's first column, where only labels belong, and the row ends at its last filled cell."""
        row = grid.rows[r]
        if not self.app_columns:
            return len(row)
        first = min(self.app_columns) + len(row) - self.app_width
        if not any(values.parse(row[c].text).number is not None for c in range(first) if not grid.is_copy(r, c)):
            return len(row)
        end = len(row)
        while end > 0 and not values.normal(row[end - 1].text):
            end -= 1
        return end

    def _application_row(self, grid: Grid, r: int, normed: list[str]) -> None:
        row = grid.rows[r]
        numbers = any(values.normal(cell.text) and values.is_value_like(cell.text) for cell in row)
        if self._application_header(normed, numbers):
            return
        if numbers:
            self.app_header_open = False
        placed = self._application_cells(grid, r)
        end = placed[0] if placed else len(row)
        labels = [t for t in normed[:end] if t]
        if not labels:
            return
        for text in labels:
            group = _match(text, _APPLICATION_GROUPS)
            if group:
                self.group = group
        if placed is None:
            self.out.warnings.append(f"section 三: row {labels[-1]!r} does not fit the table's columns; left out")
            return
        cells = placed[1]
        leaf = None
        for text in reversed(labels):
            leaf = _application_leaf(text, self.group)
            if leaf:
                break
        if leaf == "other" and _match(labels[-1], _APPLICATION_GROUPS) != "other":
            leaf = None  # a sub-row of （六） whose own label matched nothing: placed below, not as the group
        if leaf is None and (not any(values.normal(c) for c in cells.values()) or _is_heading_label(labels[-1])):
            return  # a header's or a label fragment's row: nothing to place
        if not cells:
            self.out.warnings.append(f"applications.{leaf}: row has an unexpected number of cells")
            return
        if len(cells) < 2 and not any(values.normal(c) for c in cells.values()):
            return
        self.app_rows.append(_AppRow(labels, self.group, cells, leaf))

    # Section 四 ---------------------------------------------------------------------------------------------
    def _review_row(self, grid: Grid, r: int, normed: list[str]) -> None:
        row = grid.rows[r]
        subs = [(c, key) for c, t in enumerate(normed) if (key := _review_column(t)) and not grid.is_copy(r, c)]
        if subs:
            self.review_positions.extend(c for c, _ in subs)
            self.review_labels.extend(k for _, k in subs)
            return
        if self.review_done:
            return
        numbers = [c for c, cell in enumerate(row) if values.normal(cell.text) and values.is_value_like(cell.text)]
        header = _review_header(self.review_positions, self.review_labels)
        aligned = header is not None and max(header) < len(row) \
            and all(values.is_value_like(row[c].text) for c in header)
        if header is not None and aligned and numbers and len(numbers) <= 15:
            # Under a complete header, a row with any value is the data row: blanks stay in their own columns.
            keys = list(header.values())
            cells = [row[c].text for c in header]
            outside = [row[c].text for c in numbers if c not in header]
            if outside:
                self.out.warnings.append(f"section 四: cells outside the header columns ignored: {outside}")
        elif len(numbers) >= 5:
            fitted = _fit([cell.text for c, cell in enumerate(row) if not grid.is_copy(r, c)
                           and values.is_value_like(cell.text)], 15)
            if fitted is None:
                self.out.warnings.append("section 四: data row has an unexpected number of cells")
                return
            cells = fitted
            keys = [f"{g}.{c}" for g in schema.REVIEW_GROUPS for c in schema.REVIEW_COLUMNS]
        else:
            return
        self.out.sections.add("review_litigation")
        for key, text in zip(keys, cells):
            self.out.put(key, text)
        self.review_done = True


_ACTIVE_ROW_NAMES = {row: normalise(schema._by_template(label, "2021"))
                     for row, label in schema.ACTIVE_ROW_LABELS.items()}
_ACTIVE_BLOCK_ROWS: dict[str, tuple[str, ...]] = {}
for _blocks in schema.ACTIVE_BLOCKS.values():
    for _item, _rows in _blocks:
        _ACTIVE_BLOCK_ROWS[_item.strip("（）")] = tuple(dict.fromkeys(_ACTIVE_BLOCK_ROWS.get(_item.strip("（）"), ())
                                                                   + _rows))
_REVIEW_NAMES = {k: normalise(v) for k, v in schema.REVIEW_COLUMN_LABELS.items()}


def _review_column(text: str) -> str | None:
    key = _REVIEW_COLUMNS.get(text)
    if key or not text or len(text) > 8:
        return key
    best, score, runner_up = _near(text, _REVIEW_NAMES)
    return best if score >= _NEAR and score - runner_up >= _NEAR_MARGIN else None


def _review_header(positions: list[int], labels: list[str]) -> dict[int, str] | None:
    """Grid column → key of section 四, when its header names the five columns in each of three groups (in any
    order within a group: a publisher may swap two)."""
    if len(set(positions)) != 15 or len(positions) != 15:
        return None
    by_position = sorted(zip(positions, labels))
    header = {}
    for g, group in enumerate(schema.REVIEW_GROUPS):
        chunk = by_position[5 * g: 5 * g + 5]
        if {k for _, k in chunk} != set(schema.REVIEW_COLUMNS):
            return None
        header.update({c: f"{group}.{k}" for c, k in chunk})
    return header


def _is_heading_label(label: str) -> bool:
    return any(k in label for k in ("本年度办理结果", "申请人情况", "勾稽关系", "法人或其他组织"))


def _place_application_rows(rows: list[_AppRow], out: Mapped) -> None:
    """Place the rows of section 三 (see the module's docstring) and put their cells."""
    # An all-blank row holds no row of the form: it gives way to a row with numbers (a header's padding, or the second
    # half of a label split over a page break, whose numbers stand beside its first half).
    taken = {row.leaf for row in rows if row.leaf and any(values.normal(c) for c in row.cells.values())}
    index = {key: i for i, key in enumerate(_APPLICATION_ORDER)}
    n = 0
    while n < len(rows):
        if rows[n].leaf:
            n += 1
            continue
        end = n
        while end < len(rows) and not rows[end].leaf:
            end += 1
        before = max((index[r.leaf] for r in rows[:n] if r.leaf in taken), default=-1)
        after = min((index[r.leaf] for r in rows[end:] if r.leaf in taken), default=len(_APPLICATION_ORDER))
        free = [k for k in _APPLICATION_ORDER[before + 1:after] if k not in taken]
        if any(k.startswith("other_") for k in taken):
            free = [k for k in free if k != "other"]
        elif "other" in taken:
            free = [k for k in free if not k.startswith("other_")]
        _place_gap(rows[n:end], free, rows, out)
        taken |= {row.leaf for row in rows[n:end] if row.leaf}
        n = end
    filled = {row.leaf for row in rows if row.leaf and any(values.normal(c) for c in row.cells.values())}
    done: set[str] = set()
    for row in rows:
        if not row.leaf:
            continue
        if not any(values.normal(c) for c in row.cells.values()) and (row.leaf in filled or row.leaf in done):
            continue  # an all-blank row beside the real one (a header's padding) gives way to it
        done.add(row.leaf)
        out.sections.add("applications")
        if row.leaf.startswith("other_"):
            out.template_votes["2021"] += 1
        elif row.leaf == "other":
            out.template_votes["2019"] += 1
        for col, text in row.cells.items():
            out.put(f"applications.{row.leaf}.{col}", text, row.how)


def _place_gap(unplaced: list[_AppRow], free: list[str], rows: list[_AppRow], out: Mapped) -> None:
    """Place the consecutive unmatched rows that lie between two matched ones, among the rows the form has there."""
    targets = {k: _APPLICATION_LABELS[k] for k in free}
    if len(unplaced) == len(free) and all(
            fuzz.ratio(row.label, targets[k]) >= _AT_POSITION for row, k in zip(unplaced, free)):
        for row, key in zip(unplaced, free):
            row.leaf, row.how = key, BY_NEAR_LABEL
        return
    left = dict(targets)
    for row in unplaced:
        best, score, runner_up = _near(row.label, left)
        if best and score >= _NEAR and score - runner_up >= _NEAR_MARGIN:
            row.leaf, row.how = best, BY_NEAR_LABEL
            # Later rows come later in the form.
            left = {k: v for k, v in left.items() if _APPLICATION_ORDER.index(k) > _APPLICATION_ORDER.index(best)}
    rest = [row for row in unplaced if not row.leaf]
    if len(rest) == 1 and len(left) == 1 and _adds_up(rest[0], next(iter(left)), rows):
        rest[0].leaf, rest[0].how = next(iter(left)), BY_ARITHMETIC
        rest = []
    for row in rest:
        out.warnings.append(f"section 三: row {row.label!r} could not be placed with confidence; its cells are null")


def _adds_up(candidate: _AppRow, key: str, rows: list[_AppRow]) -> bool:
    """Whether R1 (一+二 = （七）+四) or R2 (（七）= the sum of the results) holds in every column where the candidate
    has a number other than 0, with the candidate in row `key`, and in at least one such column."""
    by_leaf = {row.leaf: row for row in rows if row.leaf}
    by_leaf[key] = candidate
    leaves = schema.RESULT_LEAVES["2019" if "other" in by_leaf else "2021"]
    evidence = False
    for col in schema.APPLICANT_COLUMNS:
        if not candidate.number(col):
            continue
        def value(leaf: str, col: str = col) -> float | None:
            return by_leaf[leaf].number(col) if leaf in by_leaf else None

        if key in leaves or key == "total_processed":
            total, parts = value("total_processed"), [value(leaf) for leaf in leaves]
        else:
            sides = [value("new_received"), value("carried_over")]
            total = sum(v for v in sides if v is not None) if any(v is not None for v in sides) else None
            parts = [value("total_processed"), value("carried_forward")]
        stated = [p for p in parts if p is not None]
        if total is None or not stated or abs(sum(stated) - total) > 1e-9:
            return False
        evidence = True
    return evidence


def _application_leaf(text: str, group: str | None) -> str | None:
    bare = _bare(text)
    if "予以公开" in bare and "不予" not in bare:
        return "granted"
    leaf = _match(bare, _APPLICATION_LEAVES) or _match(text, _APPLICATION_LEAVES)
    if leaf:
        return leaf
    if bare in ("总计", "合计"):
        return "total_processed"
    if bare == "其他":
        return "other_other" if group == "other" else None
    if bare == "其他处理":
        return "other"
    return None


def _fit(cells: list[str], width: int) -> list[str] | None:
    """Bring a row's value cells to the form's width: drop the empty cells that text renderings add at either end,
    and right-align a short row (the 总计 column is the one always filled)."""
    cells = list(cells)
    while len(cells) > width and not values.normal(cells[-1]):
        cells.pop()
    while len(cells) > width and not values.normal(cells[0]):
        cells.pop(0)
    if len(cells) > width:
        return None
    if not cells:
        return None
    return [""] * (width - len(cells)) + cells


def map_grids(grids: list[Grid]) -> Mapped:
    return _GridWalker().walk(grids)

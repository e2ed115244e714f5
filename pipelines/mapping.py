"""Table grids → the schema's field keys, for both national templates.

Real tables differ from the form in every way that does not change their meaning: labels split by spaces or line
breaks, other bracket styles and numbering, annotations, merged cells kept or flattened, columns shifted by a
text rendering. So rows are recognised by the keywords of their own labels (and the group label above them), and
values are taken by position relative to the column headers where headers exist (sections 二 and 四) and as the
trailing run of value cells where they do not (section 三, whose seven columns are fixed by the form).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipelines import schema, values
from pipelines.document import Grid

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．,，]|\(?[一二三四五六七八九十]+\)|\(?\d{1,2}\)|\d{1,2}[、.．,，](?!\d))+"
)
_ANNOTATION = re.compile(r"\([^)]*\)")

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


def normalise(label: str) -> str:
    """Label text for matching: width, spaces, line breaks and leading numbering removed."""
    return _NUMBERING.sub("", values.normal(label))


def _match(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    for keyword, key in table:
        if keyword in text:
            return key
    return None


@dataclass
class Mapped:
    """Cells found for schema keys (raw text per key), the template evidence, and what went wrong."""

    raw: dict[str, str] = field(default_factory=dict)
    template_votes: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    sections: set[str] = field(default_factory=set)
    # Money units stated in section 二 headers ("（单位：元）"), by key.
    units: dict[str, str] = field(default_factory=dict)

    def put(self, key: str, text: str) -> None:
        if key in self.raw and self.raw[key] != text:
            self.warnings.append(f"{key}: found twice ({self.raw[key]!r}, then {text!r}); kept the first")
            return
        self.raw[key] = text


def _section_of(texts: list[str]) -> str | None:
    joined = "".join(texts)
    if "第二十条" in joined or "信息内容" in joined:
        return "active"
    if any(k in joined for k in ("申请人情况", "自然人", "本年新收", "本年度办理结果")):
        return "applications"
    if "行政复议" in joined or "行政诉讼" in joined:
        return "review"
    return None


class _GridWalker:
    """Walks the rows of every grid in document order, keeping the context that spans rows and tables."""

    def __init__(self) -> None:
        self.out = Mapped()
        self.section: str | None = None
        # Section 二: relative column offset → (column key, money unit stated in the header).
        self.active_header: dict[int, tuple[str, str | None]] | None = None
        self.group: str | None = None
        self.blank_rows: set[str] = set()
        self.review_positions: list[int] = []  # columns of section 四's sub-labels, in reading order
        self.review_labels: list[str] = []
        self.review_done = False

    def walk(self, grids: list[Grid]) -> Mapped:
        for grid in grids:
            self.review_positions = []
            self.review_labels = []
            for r, row in enumerate(grid.rows):
                texts = [cell.text for cell in row]
                normed = [normalise(t) for t in texts]
                section = _section_of(normed)
                if section and section != self.section:
                    self.section = section
                    self.group = None
                if self.section == "active":
                    self._active_row(grid, r, normed)
                elif self.section == "applications":
                    self._application_row(grid, r, normed)
                elif self.section == "review":
                    self._review_row(grid, r, normed)
        return self.out

    # Section 二 ---------------------------------------------------------------------------------------------
    def _active_row(self, grid: Grid, r: int, normed: list[str]) -> None:
        row = grid.rows[r]
        if "信息内容" in normed:
            start = normed.index("信息内容")
            header: dict[int, tuple[str, str | None]] = {}
            for offset, text in enumerate(normed[start + 1:], start=1):
                key = _match(_ANNOTATION.sub("", text), _ACTIVE_COLUMNS) or _match(text, _ACTIVE_COLUMNS)
                if key:
                    header[offset] = (key, values.header_unit(row[start + offset].text))
            self.active_header = header
            return
        label_at = next((c for c, t in enumerate(normed) if t), None)
        if label_at is None:
            return
        row_key = _match(_ANNOTATION.sub("", normed[label_at]) or normed[label_at], _ACTIVE_ROWS)
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
            self.out.put(key, row[c].text)
        if row_key in ("other_services", "procurement"):
            self.out.template_votes["2019"] += 1

    # Section 三 ---------------------------------------------------------------------------------------------
    def _application_row(self, grid: Grid, r: int, normed: list[str]) -> None:
        row = grid.rows[r]
        n = len(row)
        # The trailing run of value cells, merged-cell copies left out.
        start = n
        while start > 0 and values.is_value_like(row[start - 1].text):
            start -= 1
        cells = [row[c].text for c in range(start, n) if not grid.is_copy(r, c)]
        labels = [t for t in normed[:start] if t]
        if not labels:
            return
        for text in labels:
            group = _match(text, _APPLICATION_GROUPS)
            if group:
                self.group = group
        leaf = None
        for text in reversed(labels):
            leaf = _application_leaf(text, self.group)
            if leaf:
                break
        if leaf is None:
            return
        if leaf == "other" and _match(labels[-1], _APPLICATION_GROUPS) != "other":
            return
        blank = not any(values.normal(c) for c in cells)
        if blank and (len(cells) < 2 or f"applications.{leaf}.total" in self.out.raw):
            return
        width = len(schema.APPLICANT_COLUMNS)
        if len(cells) != width:
            cells = _fit(cells, width)
            if cells is None:
                self.out.warnings.append(f"applications.{leaf}: row has an unexpected number of cells")
                return
        self.out.sections.add("applications")
        if leaf.startswith("other_"):
            self.out.template_votes["2021"] += 1
        elif leaf == "other":
            self.out.template_votes["2019"] += 1
        if leaf in self.blank_rows:  # an all-blank row met first (a header's padding) gives way to the real one
            for col in schema.APPLICANT_COLUMNS:
                self.out.raw.pop(f"applications.{leaf}.{col}", None)
            self.blank_rows.discard(leaf)
        if blank:
            self.blank_rows.add(leaf)
        for col, text in zip(schema.APPLICANT_COLUMNS, cells):
            self.out.put(f"applications.{leaf}.{col}", text)

    # Section 四 ---------------------------------------------------------------------------------------------
    def _review_row(self, grid: Grid, r: int, normed: list[str]) -> None:
        row = grid.rows[r]
        subs = [(c, _REVIEW_COLUMNS[t]) for c, t in enumerate(normed)
                if t in _REVIEW_COLUMNS and not grid.is_copy(r, c)]
        if subs:
            self.review_positions.extend(c for c, _ in subs)
            self.review_labels.extend(k for _, k in subs)
            return
        if self.review_done:
            return
        numbers = [c for c, cell in enumerate(row) if values.normal(cell.text) and values.is_value_like(cell.text)]
        positions = self.review_positions
        aligned = (
            len(set(positions)) == 15 and self.review_labels == list(schema.REVIEW_COLUMNS) * 3
            and max(positions) < len(row) and all(values.is_value_like(row[c].text) for c in positions)
        )
        if aligned and numbers and len(numbers) <= 15:
            # Under a complete header, a row with any value is the data row: blanks stay in their own columns.
            cells = [row[c].text for c in positions]
            outside = [row[c].text for c in numbers if c not in positions]
            if outside:
                self.out.warnings.append(f"section 四: cells outside the header columns ignored: {outside}")
        elif len(numbers) >= 5:
            cells = _fit([cell.text for c, cell in enumerate(row) if not grid.is_copy(r, c)
                          and values.is_value_like(cell.text)], 15)
            if cells is None:
                self.out.warnings.append("section 四: data row has an unexpected number of cells")
                return
        else:
            return
        keys = [f"{g}.{c}" for g in schema.REVIEW_GROUPS for c in schema.REVIEW_COLUMNS]
        self.out.sections.add("review_litigation")
        for key, text in zip(keys, cells):
            self.out.put(key, text)
        self.review_done = True


def _application_leaf(text: str, group: str | None) -> str | None:
    bare = _ANNOTATION.sub("", text)
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

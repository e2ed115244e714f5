"""The three tables of a report in the national forms' layout, from its canonical fields.

The grid follows the forms (and sandbox.reports.layout, which draws documents from the same labels): section 二 in
four columns with a 第二十条 row and a 信息内容 header per block, section 三 with its three label columns and seven
applicant columns, section 四 under a three-row header. Every data cell says how it reads — a number, zero, blank,
a not-applicable mark, unreadable text, or absent from the document — and which failed checks involve it.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

from archive.web.schemas import CellState, ReportTable, TableCell
from pipelines import schema
from pipelines.schema import block_id, national_labels
from pipelines.values import NULL_MARKERS, normal

TABLE_SECTIONS = ("active", "applications", "review_litigation")
TEMPLATES_WITH_TABLES = ("2021", "2019")


def cell_state(value: Any, raw: str | None) -> CellState:
    if value is not None:
        return "zero" if value == 0 else "value"
    if raw is None:
        return "absent"
    text = normal(raw).lower()
    if not text:
        return "blank"
    return "not_applicable" if text in NULL_MARKERS else "unreadable"


def display(value: Any, state: CellState, raw: str | None) -> str:
    """What the cell shows: the canonical number; a mark or unreadable text as the document wrote it."""
    if state in ("value", "zero"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{value:+d}" if isinstance(value, int) and raw and raw.strip().startswith("+") else str(value)
    return raw.strip() if state in ("not_applicable", "unreadable") and raw else ""


# Which cells a failed check involves. The rules are pipelines.checks' and archive.queries.crosscheck's: each names one
# cell or column in `where`, and the cells it added up are those of its definition. Each rule's cells below get the
# check's `where`, its last part (a column), the check and the report's template.
def _row(where: str) -> str:
    """The row a rule's `where` names (section.row.column), or "" when it names none."""
    return where.split(".")[1] if where.count(".") == 2 else ""


def _r1(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    return {f"applications.{row}.{column}"
            for row in ("new_received", "carried_over", "total_processed", "carried_forward")}


def _r2(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    return {where, *(f"applications.{leaf}.{column}" for leaf in schema.RESULT_LEAVES.get(template, ()))}


def _r3(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    return {f"applications.{_row(where)}.{c}" for c in schema.APPLICANT_COLUMNS}


def _r4(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    return {f"{where.split('.')[0]}.{c}" for c in schema.REVIEW_COLUMNS}


def _r5(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    """R5's `where` is "*": the detail names each offending key."""
    return set(re.findall(r"([a-z_]+(?:\.[a-z_]+)+)=", str(check.get("detail") or "")))


def _s2(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    return {f"active.{_row(where)}.{c}" for c in ("issued", "repealed", "in_force")}


def _named(where: str, column: str, check: Mapping[str, Any], template: str) -> set[str]:
    """Any other rule: the fields its `where` names (a key or a pattern), in a template with tables."""
    return set(fnmatch.filter(schema.field_keys(template), where)) if template in TEMPLATES_WITH_TABLES else set()


_INVOLVED: dict[str, Callable[[str, str, Mapping[str, Any], str], set[str]]] = {
    "R1": _r1, "R2": _r2, "R3": _r3, "R4": _r4, "R5": _r5, "S2": _s2}


def involved(check: Mapping[str, Any], template: str) -> set[str]:
    """The keys of the cells a failed check involves."""
    where = str(check.get("where") or "")
    cells = _INVOLVED.get(str(check.get("rule")), _named)
    return cells(where, where.rsplit(".", 1)[-1], check, template)


class _Grid:
    def __init__(self, fields: Mapping[str, Any], raw: Mapping[str, str | None], failed: Mapping[str, list[str]]):
        self.fields, self.raw, self.failed = fields, raw, failed
        self.rows: list[list[TableCell]] = []

    def row(self) -> list[TableCell]:
        self.rows.append([])
        return self.rows[-1]

    @staticmethod
    def label(text: str, rowspan: int = 1, colspan: int = 1) -> TableCell:
        return TableCell(text=text, header=True, rowspan=rowspan, colspan=colspan)

    def data(self, key: str, colspan: int = 1) -> TableCell:
        value, raw = self.fields.get(key), self.raw.get(key)
        state = cell_state(value, raw)
        return TableCell(text=display(value, state, raw), colspan=colspan, key=key, value=value, raw=raw,
                         state=state, failed=self.failed.get(key, []))


def _active(g: _Grid, template: str, labels: dict[str, str]) -> None:
    columns = dict(schema.ACTIVE_2021 if template == "2021" else schema.ACTIVE_2019)
    for item, rows in schema.ACTIVE_BLOCKS[template]:
        cols = columns[rows[0]]
        g.row().append(g.label(labels[block_id(item)], colspan=4))
        header = g.row()
        header.append(g.label(labels["active.content"]))
        # One value spans the three value columns (2021 form); two leave the fourth blank (2019 form).
        span = 3 if len(cols) == 1 else 1
        header += [g.label(labels[f"active.col.{c}"], colspan=span) for c in cols]
        header += [g.label("") for _ in range(1 + len(cols), 4) if span == 1]
        for row in rows:
            line = g.row()
            line.append(g.label(labels[f"active.row.{row}"]))
            line += [g.data(f"active.{row}.{c}", colspan=span) for c in columns[row]]
            line += [g.label("") for _ in range(1 + len(columns[row]), 4) if span == 1]


def _applications(g: _Grid, template: str, labels: dict[str, str]) -> None:
    top = g.row()
    top.append(g.label(labels["applications.note"], rowspan=3, colspan=3))
    top.append(g.label(labels["applications.applicant"], colspan=len(schema.APPLICANT_COLUMNS)))
    second = g.row()
    second.append(g.label(labels["applications.col.natural_person"], rowspan=2))
    second.append(g.label(labels["applications.org"], colspan=len(schema.APPLICANT_SUBCOLUMNS) - 1))
    second.append(g.label(labels["applications.col.total"], rowspan=2))
    g.row().extend(g.label(labels[f"applications.col.{c}"]) for c in schema.APPLICANT_SUBCOLUMNS[1:])

    def data(line: list[TableCell], row: str) -> None:
        line += [g.data(f"applications.{row}.{c}") for c in schema.APPLICANT_COLUMNS]

    for row in ("new_received", "carried_over"):
        line = g.row()
        line.append(g.label(labels[f"applications.row.{row}"], colspan=3))
        data(line, row)
    results = [*schema.RESULT_LEAVES[template], "total_processed"]
    group_of = {leaf: group for group, (_, leaves) in schema.APPLICATION_GROUP_LABELS.items() for leaf in leaves}
    for n, row in enumerate(results):
        line = g.row()
        if n == 0:
            line.append(g.label(labels["applications.results"], rowspan=len(results)))
        group = group_of.get(row)
        if group:
            leaves = [r for r in schema.APPLICATION_GROUP_LABELS[group][1] if r in results]
            if row == leaves[0]:
                line.append(g.label(labels[f"applications.group.{group}"], rowspan=len(leaves)))
            line.append(g.label(labels[f"applications.row.{row}"]))
        else:
            line.append(g.label(labels[f"applications.row.{row}"], colspan=2))
        data(line, row)
    line = g.row()
    line.append(g.label(labels["applications.row.carried_forward"], colspan=3))
    data(line, "carried_forward")


def _review(g: _Grid, labels: dict[str, str]) -> None:
    n = len(schema.REVIEW_COLUMNS)
    top = g.row()
    top.append(g.label(labels["review.group.review"], colspan=n))
    top.append(g.label(labels["review.litigation"], colspan=2 * n))
    second = g.row()
    second += [g.label(labels[f"review.col.{c}"], rowspan=2) for c in schema.REVIEW_COLUMNS]
    second += [g.label(labels[f"review.group.{group}"], colspan=n) for group in schema.REVIEW_GROUPS[1:]]
    g.row().extend(g.label(labels[f"review.col.{c}"]) for _ in schema.REVIEW_GROUPS[1:] for c in schema.REVIEW_COLUMNS)
    g.row().extend(g.data(f"{group}.{c}") for group in schema.REVIEW_GROUPS for c in schema.REVIEW_COLUMNS)


def build_tables(template: str | None, fields: Mapping[str, Any], raw: Mapping[str, str | None],
                 failed_checks: list[Mapping[str, Any]]) -> list[ReportTable]:
    """The three tables of a 2019- or 2021-format report; none for the free-form (legacy) outline."""
    if template not in TEMPLATES_WITH_TABLES:
        return []
    failed: dict[str, list[str]] = {}
    for check in failed_checks:
        for key in sorted(involved(check, template)):
            failed.setdefault(key, []).append(str(check.get("rule")))
    labels = national_labels(template)
    out = []
    for section in TABLE_SECTIONS:
        g = _Grid(fields, raw, failed)
        if section == "active":
            _active(g, template, labels)
        elif section == "applications":
            _applications(g, template, labels)
        else:
            _review(g, labels)
        out.append(ReportTable(name=section, heading=schema.SECTION_HEADINGS[section], rows=g.rows))
    return out


def field_label(key: str, template: str | None) -> str:
    """A field key in the forms' words: "三 · 自然人 · 一、本年新收政府信息公开申请数量"."""
    labels = national_labels(template if template in TEMPLATES_WITH_TABLES else "2021")
    group, _, rest = key.partition(".")
    row, _, column = rest.rpartition(".")
    if group == "active":
        return f"二 · {labels.get(f'active.row.{row}', row)} · {labels.get(f'active.col.{column}', column)}"
    if group == "applications":
        return (f"三 · {labels.get(f'applications.col.{column}', column)} · "
                f"{labels.get(f'applications.row.{row}', row)}")
    if group in schema.REVIEW_GROUPS:
        return f"四 · {labels[f'review.group.{group}']} · {labels.get(f'review.col.{rest}', rest)}"
    return key

"""Consistency rules of domain.md §3 on one report: R1–R5 on the tables, S3 on the prose against the tables.

A failed rule is data (a `Check` with ok=False), never an exception: real reports break these rules, and saying
so is part of the corpus. Blank cells are not zeros: a rule with a blank operand is evaluated on what is stated
(blank leaves of a sum are skipped), and a rule with nothing stated on one side is not evaluated at all.
"""
from __future__ import annotations

import re

from pipelines import schema
from pipelines.document import Check

Number = int | float | None


def _sum(values: list[Number]) -> Number:
    stated = [v for v in values if v is not None]
    return sum(stated) if stated else None


def _fmt(values: list[Number]) -> str:
    return " + ".join("·" if v is None else f"{v:g}" for v in values)


def _equal(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def _r1(fields: dict[str, Number], checks: list[Check]) -> None:
    for col in schema.APPLICANT_COLUMNS:
        left = [fields.get(f"applications.{r}.{col}") for r in ("new_received", "carried_over")]
        right = [fields.get(f"applications.{r}.{col}") for r in ("total_processed", "carried_forward")]
        a, b = _sum(left), _sum(right)
        if a is None or b is None:
            continue
        checks.append(Check("R1", _equal(a, b), f"applications.*.{col}",
                            f"{_fmt(left)} {'=' if _equal(a, b) else '!='} {_fmt(right)}"))


def _sum_rule(rule: str, where: str, total: Number, parts: list[Number], checks: list[Check]) -> None:
    """A stated total against the sum of its stated parts (R2, R3, R4)."""
    s = _sum(parts)
    if total is None or s is None:
        return
    ok = _equal(total, s)
    checks.append(Check(rule, ok, where, f"{_fmt(parts)} {'=' if ok else '!='} {total:g}"))


def _r2(fields: dict[str, Number], template: str, checks: list[Check]) -> None:
    # A 2021 table whose （六）其他处理 is one undivided row is stored under the 2019 key (pipelines.extract).
    leaves = schema.RESULT_LEAVES["2019" if "applications.other.total" in fields else template]
    for col in schema.APPLICANT_COLUMNS:
        _sum_rule("R2", f"applications.total_processed.{col}", fields.get(f"applications.total_processed.{col}"),
                  [fields.get(f"applications.{leaf}.{col}") for leaf in leaves], checks)


def _r3(fields: dict[str, Number], template: str, checks: list[Check]) -> None:
    for row in schema.APPLICATION_ROWS[template]:
        _sum_rule("R3", f"applications.{row}.total", fields.get(f"applications.{row}.total"),
                  [fields.get(f"applications.{row}.{col}") for col in schema.APPLICANT_SUBCOLUMNS], checks)


def _r4(fields: dict[str, Number], checks: list[Check]) -> None:
    for group in schema.REVIEW_GROUPS:
        _sum_rule("R4", f"{group}.total", fields.get(f"{group}.total"),
                  [fields.get(f"{group}.{col}") for col in schema.REVIEW_COLUMNS[:-1]], checks)


def _r5(fields: dict[str, Number], checks: list[Check]) -> None:
    bad = []
    for key, value in fields.items():
        if value is None:
            continue
        column = schema.column_of(key)
        if column in schema.SIGNED_COLUMNS:
            if not float(value).is_integer():
                bad.append(f"{key}={value:g} is not a whole number")
        elif column in schema.AMOUNT_COLUMNS:
            if value < 0:
                bad.append(f"{key}={value:g} is negative")
        elif value < 0 or not float(value).is_integer():
            bad.append(f"{key}={value:g} is not a non-negative whole number")
    checks.append(Check("R5", not bad, "*", "; ".join(bad) or "all counts are non-negative whole numbers"))


# "共收到政府信息公开申请12件", "收到依申请公开0件", "未收到…申请" in the prose. Ten digits at most: a longer
# number is none a report holds (pipelines.values.LARGEST), and 4,300 digits and more cannot even become an int.
_RECEIVED = re.compile(r"(?:共|累计|全年|本年度?|新)?(?:收到|受理)[^。；;，,]{0,20}?(?:申请|依申请公开)"
                       r"[^。；;，,\d之]{0,6}?(\d{1,10})\s*件")
_NONE_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理)[^。；;]{0,12}?申请")


def _s3(fields: dict[str, Number], prose: str, checks: list[Check]) -> None:
    total = fields.get("applications.new_received.total")
    if total is None:
        return
    match = _RECEIVED.search(prose)
    if match:
        quoted, said = int(match.group(1)), match.group(0)
    elif none := _NONE_RECEIVED.search(prose):
        quoted, said = 0, none.group(0)
    else:
        return
    ok = _equal(quoted, total)
    checks.append(Check("S3", ok, "applications.new_received.total",
                        f"prose says “{said}” ({quoted}); table says {total:g}"))


def run_checks(fields: dict[str, Number], template: str, prose: str) -> list[Check]:
    checks: list[Check] = []
    if template not in ("2019", "2021"):
        return checks
    _r1(fields, checks)
    _r2(fields, template, checks)
    _r3(fields, template, checks)
    _r4(fields, checks)
    _r5(fields, checks)
    _s3(fields, prose, checks)
    return checks

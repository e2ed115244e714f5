"""Soft rules across documents (domain.md §3): flagged beside a report, never a failure of its extraction.

S1: 四 结转下年度继续办理 of year N-1 should equal 二 上年结转 of year N, same agency, column by column.
S2: 现行有效件数(N) ≈ 现行有效件数(N-1) + 本年制发件数(N) − 本年废止件数(N) (2021 format, both years).
Both are shown on the later report, the one that should have carried the earlier numbers forward.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.document import Check
from pipelines.schema import APPLICANT_COLUMNS

S2_ROWS = ("regulations", "normative_docs")


def s1(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Check]:
    checks = []
    for col in APPLICANT_COLUMNS:
        before = previous.get(f"applications.carried_forward.{col}")
        after = current.get(f"applications.carried_over.{col}")
        if before is None or after is None:
            continue
        checks.append(Check("S1", before == after, f"applications.carried_over.{col}",
                            f"previous year carried forward {before}, this year carried over {after}"))
    return checks


def s2(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Check]:
    checks = []
    for row in S2_ROWS:
        before = previous.get(f"active.{row}.in_force")
        issued, repealed, now = (current.get(f"active.{row}.{c}") for c in ("issued", "repealed", "in_force"))
        if before is None or issued is None or repealed is None or now is None:
            continue
        expected = before + issued - repealed
        checks.append(Check("S2", expected == now, f"active.{row}.in_force",
                            f"{before} + {issued} - {repealed} = {expected}, report states {now}"))
    return checks


def cross_checks(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[Check]:
    """S1 and S2 of a report (`current` fields) against the same agency's previous year (None when unknown)."""
    if previous is None:
        return []
    return s1(previous, current) + s2(previous, current)

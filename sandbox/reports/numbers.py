"""Realistic table numbers that satisfy the consistency rules R1–R4 (domain.md §3).

Orders of magnitude follow real county-level reports: licensing decisions in the thousands, applications in the
tens (mostly from natural persons), a few review and litigation cases, most denial reasons never used.
"""
from __future__ import annotations

import random

from pipelines.schema import (
    APPLICANT_COLUMNS,
    APPLICANT_SUBCOLUMNS,
    RESULT_LEAVES,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    active_keys,
)
from sandbox.reports.spec import Value

# How often each result is chosen for one processed application (relative).
_RESULT_WEIGHTS = {
    "granted": 40, "partial": 8, "denied_state_secret": 0.3, "denied_law_forbidden": 0.5, "denied_three_safety": 0.3,
    "denied_third_party": 3, "denied_internal_affairs": 1, "denied_process_info": 2, "denied_enforcement_file": 1,
    "denied_admin_query": 1, "unable_not_held": 15, "unable_need_create": 3, "unable_unclear": 2,
    "not_processed_petition": 3, "not_processed_repeat": 2, "not_processed_publication": 1,
    "not_processed_massive": 0.5, "not_processed_confirm": 1, "other_overdue_correction": 2, "other_overdue_fee": 0.3,
    "other_other": 2, "other": 4,
}
# Upper bounds of new applications per applicant column.
_NEW_MAX = {"natural_person": 60, "commercial": 10, "research": 1, "social_welfare": 2, "legal_service": 4,
            "other_org": 3}


def active_numbers(rng: random.Random, template: str) -> dict[str, Value]:
    v: dict[str, Value] = dict.fromkeys(active_keys(template), 0)
    if template == "2021":
        issued = rng.choice([0, 0, 1, 2, 3])
        v.update({
            "active.normative_docs.issued": issued,
            "active.normative_docs.repealed": rng.choice([0, 0, 1]),
            "active.normative_docs.in_force": issued + rng.randint(0, 35),
            "active.licensing.decisions": rng.randint(300, 30000),
            "active.punishment.decisions": rng.choice([0, rng.randint(1, 300)]),
            "active.coercion.decisions": rng.choice([0, 0, rng.randint(1, 30)]),
            "active.fees.amount_10k_yuan": rng.choice([0, round(rng.uniform(0.5, 400), 2)]),
        })
        return v
    made = rng.choice([0, 0, 1, 2])
    v.update({
        "active.normative_docs.new_made": made,
        "active.normative_docs.new_published": made,
        "active.normative_docs.total_published": made + rng.randint(0, 30),
        "active.procurement.items": (items := rng.choice([0, rng.randint(1, 12)])),
        "active.procurement.amount_10k_yuan": round(rng.uniform(2, 300), 2) if items else 0,
    })
    for row, prev_max, decisions in (("licensing", 300, (300, 20000)), ("other_services", 200, (0, 3000)),
                                     ("punishment", 2000, (0, 300)), ("coercion", 50, (0, 20))):
        prev = v[f"active.{row}.prev_year_items"] = rng.randint(0, prev_max)
        v[f"active.{row}.change"] = rng.choice([0, 0, rng.randint(-min(5, prev), 60)])
        v[f"active.{row}.decisions"] = rng.randint(*decisions)
    v["active.fees.prev_year_items"] = rng.randint(0, 12)
    v["active.fees.change"] = rng.choice([0, 0, 1, -1 if v["active.fees.prev_year_items"] else 0])
    return v


def application_numbers(rng: random.Random, template: str, busy: bool = False) -> dict[str, Value]:
    """Section 三 satisfying R1–R3; `busy` guarantees applications in every column an error may be injected into."""
    leaves = RESULT_LEAVES[template]
    weights = [_RESULT_WEIGHTS[leaf] for leaf in leaves]
    quiet = not busy and rng.random() < 0.2  # many small agencies receive no application at all
    v: dict[str, int] = {}
    for col in APPLICANT_SUBCOLUMNS:
        new = 0 if quiet else rng.randint(0, _NEW_MAX[col])
        if busy and col == "natural_person":
            new = max(new, 6)
        carried = rng.choice([0, 0, 0, 1, 2]) if new else 0
        forward = min(new + carried, rng.choice([0, 0, 1, 2, 3]))
        counts = dict.fromkeys(leaves, 0)
        for leaf in rng.choices(leaves, weights, k=new + carried - forward):
            counts[leaf] += 1
        v[f"applications.new_received.{col}"] = new
        v[f"applications.carried_over.{col}"] = carried
        for leaf, n in counts.items():
            v[f"applications.{leaf}.{col}"] = n
        v[f"applications.total_processed.{col}"] = new + carried - forward
        v[f"applications.carried_forward.{col}"] = forward
    for row in ("new_received", "carried_over", *leaves, "total_processed", "carried_forward"):
        v[f"applications.{row}.total"] = sum(v[f"applications.{row}.{c}"] for c in APPLICANT_SUBCOLUMNS)
    return {k: v[k] for k in (f"applications.{r}.{c}" for r in ("new_received", "carried_over", *leaves,
                                                               "total_processed", "carried_forward")
                              for c in APPLICANT_COLUMNS)}


def review_numbers(rng: random.Random, busy: bool = False) -> dict[str, Value]:
    v: dict[str, Value] = {}
    for group, scale in zip(REVIEW_GROUPS, (3, 2, 1)):
        cases = [0, 0, 0, 0] if rng.random() < 0.4 and not busy else [
            rng.randint(0, scale), rng.randint(0, 1), rng.randint(0, 1), rng.randint(0, 1)]
        if busy and group == "review":
            cases[0] = max(cases[0], 1)
        v.update({f"{group}.{col}": n for col, n in zip(REVIEW_COLUMNS, [*cases, sum(cases)])})
    return v

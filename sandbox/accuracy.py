"""The accuracy gate's measurement: extraction results against hand-reviewed golden files (the tests' fixture
corpus, tests/fixtures/docs), and the sandbox's variant corpus against what it was rendered from
(tests/integration/test_accuracy.py gates both; bench.extraction measures the variants).

A golden (`<fixture>.expected.json`) states what a person checked the document says: format, is_report (with a
reason when not), agency, year, template, title, published, and every field's value (null for blank, never 0),
or `"error": true` for an unreadable input. `reviewed` records that a person compared it with the document once;
the gate refuses unreviewed goldens (the juriscraper habit), so a new fixture cannot pass on its own output.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.document import Failure, Report

DOCS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "docs"
METADATA = ("agency", "year", "template")
_UNFOUND = "sections not found: "


@dataclass
class Score:
    cells: int = 0
    cells_ok: int = 0
    cells_missed: int = 0  # null where a value was expected (with the warnings saying why)
    cells_misplaced: int = 0  # a value other than the expected one: a cell put in a wrong row or column, or misread
    docs: int = 0
    docs_ok: int = 0  # is_report / error / metadata all as expected
    misses: list[str] = field(default_factory=list)

    def rate(self, part: str) -> float:
        total, ok = (self.cells, self.cells_ok) if part == "cells" else (self.docs, self.docs_ok)
        return ok / total if total else 1.0

    def add(self, other: Score) -> None:
        for name in ("cells", "cells_ok", "cells_missed", "cells_misplaced", "docs", "docs_ok"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses.extend(other.misses)


def fixtures() -> list[tuple[Path, Path]]:
    return sorted((p, p.with_name(p.name + ".expected.json")) for p in DOCS.iterdir()
                  if p.is_file() and not p.name.endswith(".json"))


def _same(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    return abs(float(expected) - float(got)) < 1e-9


def score(name: str, expected: dict, result: Report | Failure, into: Score) -> None:
    into.docs += 1
    if expected.get("error"):
        ok = isinstance(result, Failure)
        into.docs_ok += ok
        if not ok:
            into.misses.append(f"{name}: expected an error, got a result")
        return
    if isinstance(result, Failure):
        into.misses.append(f"{name}: unexpected error {result.error}")
        into.cells += len(expected.get("fields") or {})
        return
    problems = []
    if result.is_report != expected["is_report"]:
        problems.append(f"is_report {result.is_report} (reason {result.reason})")
    elif not expected["is_report"]:
        want = expected.get("reason")
        if want and want not in (result.reason or ""):
            problems.append(f"reason {result.reason!r} lacks {want!r}")
    else:
        for key in METADATA:
            if getattr(result, key) != expected[key]:
                problems.append(f"{key} {getattr(result, key)!r} != {expected[key]!r}")
        unfound = [k for w in result.warnings if w.startswith(_UNFOUND) for k in w[len(_UNFOUND):].split(", ")]
        if lost := [k for k in expected.get("sections", ()) if k in unfound]:
            problems.append(f"sections not found: {lost}")
        for key, want in (expected.get("fields") or {}).items():
            into.cells += 1
            got = result.fields.get(key)
            if _same(want, got):
                into.cells_ok += 1
                continue
            if got is None:
                into.cells_missed += 1
            else:
                into.cells_misplaced += 1
            into.misses.append(f"{name}: {key} = {got!r} (raw {result.raw.get(key)!r}), expected {want!r}")
    into.docs_ok += not problems
    into.misses.extend(f"{name}: {p}" for p in problems)


def score_variants(docs: list, extract) -> dict[tuple[str, str], Score]:
    """The variant corpus (`sandbox.reports.variant_corpus.CorpusDoc`s) scored per (class, format)."""
    scores: dict[tuple[str, str], Score] = {}
    for doc in docs:
        score(doc.name, doc.golden, extract(doc.data, doc.name), scores.setdefault((doc.variant_class, doc.format),
                                                                                    Score()))
    return scores


def variant_table(scores: dict[tuple[str, str], Score]) -> str:
    """Cells right per class (rows) and format (columns), then the cells misplaced and missed, as a text table."""
    formats = sorted({f for _, f in scores})
    classes = sorted({c for c, _ in scores})
    lines = [f"{'class':18} " + " ".join(f"{f:>8}" for f in formats) + "  misplaced  missed  docs ok"]
    for cls in [*classes, "all"]:
        row = {f: Score() for f in formats}
        for (c, f), s in scores.items():
            if cls in (c, "all"):
                row[f].add(s)
        total = Score()
        for s in row.values():
            total.add(s)
        lines.append(f"{cls:18} " + " ".join(f"{row[f].rate('cells') * 100:7.2f}%" for f in formats)
                     + f"  {total.cells_misplaced:9d}  {total.cells_missed:6d}  {total.docs_ok}/{total.docs}")
    return "\n".join(lines)

"""The accuracy gate over the whole fixture corpus, with floors that may rise and never drop silently.

Floors live in accuracy_floor.json. The last test walks that file's git history: a commit that lowers a floor
must say `ALLOW-FLOOR-DROP: <why>` in its message, so a drop is always an explicit, reviewed decision.
"""
from __future__ import annotations

import itertools
import json
import subprocess

import pytest

from pipelines.extract import extract
from sandbox.accuracy import Score, fixtures, score, score_variants, variant_table
from sandbox.reports import variant_corpus
from tests.support import FIXTURES, SEED_REPORTS, TESTS

FLOORS = TESTS / "accuracy_floor.json"
SEED_SPECS = FIXTURES / "seeds"


def _original_golden(spec: dict, reviewed: dict) -> dict:
    """The golden of an original seed rendering: its spec's reading, with the cells that rendering leaves blank."""
    fields = dict(spec["values"])
    fields.update(reviewed.get("fields", {}))
    return {"is_report": True, "agency": spec["agency"], "year": spec["year"], "template": spec["template"],
            "fields": fields, "reviewed": reviewed.get("reviewed")}


def _corpus() -> list[tuple[str, bytes, dict]]:
    """(name, bytes, golden) for every fixture document and for the five original seed renderings."""
    items = [(doc.name, doc.read_bytes(), json.loads(golden.read_text("utf-8"))) for doc, golden in fixtures()]
    originals = json.loads((SEED_SPECS.parent / "seed_originals.json").read_text("utf-8"))
    for spec_path in sorted(SEED_SPECS.glob("*.json")):
        original = next(SEED_REPORTS.glob(f"{spec_path.stem}_*.txt"))
        golden = _original_golden(json.loads(spec_path.read_text("utf-8")), originals.get(spec_path.stem, {}))
        items.append((f"seed-original-{spec_path.stem}", original.read_bytes(), golden))
    return items


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    by_group = {"seed": Score(), "variant": Score(), "other": Score()}
    for name, data, golden in _corpus():
        group = "seed" if name.startswith("seed") else "variant" if name.startswith("gen") else "other"
        score(name, golden, extract(data, name), by_group[group])
    return by_group


def test_every_golden_was_reviewed():
    unreviewed = [name for name, _, golden in _corpus() if not golden.get("reviewed")]
    assert not unreviewed, (
        "these goldens were never reviewed by a person; compare each with its document, then set "
        f"\"reviewed\" to who/when: {unreviewed}")


@pytest.mark.slow
def test_accuracy_floors(scores):
    floors = json.loads(FLOORS.read_text())
    measured = {
        "seed_cells": scores["seed"].rate("cells"), "seed_documents": scores["seed"].rate("docs"),
        "variant_cells": scores["variant"].rate("cells"), "variant_documents": scores["variant"].rate("docs"),
        "other_documents": scores["other"].rate("docs"),
    }
    print("accuracy:", json.dumps(measured))
    misses = [m for s in scores.values() for m in s.misses]
    below = {k: (measured[k], floors[k]) for k in measured if measured[k] + 1e-12 < floors[k]}
    assert not below, f"below the floor (measured, floor): {below}\n" + "\n".join(misses[:40])


@pytest.fixture(scope="module")
def variant_scores() -> dict[tuple[str, str], Score]:
    """One document per variant class and format (bench/extraction.py --variants scores the whole corpus)."""
    return score_variants(variant_corpus.sample(), extract)


@pytest.mark.slow
def test_variant_corpus_floors(variant_scores):
    floors = json.loads(FLOORS.read_text())
    print(variant_table(variant_scores))
    assert {f for _, f in variant_scores} == set(variant_corpus.FORMATS)
    assert {c for c, _ in variant_scores} == set(variant_corpus.CLASSES)
    misses = [m for s in variant_scores.values() for m in s.misses]
    # A value in a wrong row or column is never acceptable: a cell that cannot be placed is null, with a warning.
    misplaced = [m for m in misses if "= None " not in m and "expected" in m]
    assert sum(s.cells_misplaced for s in variant_scores.values()) == 0, "\n".join(misplaced[:40])
    worst = min(s.rate("cells") for s in variant_scores.values())
    documents = sum(s.docs_ok for s in variant_scores.values()) / sum(s.docs for s in variant_scores.values())
    measured = {"variant_corpus_cells_min": worst, "variant_corpus_documents": documents}
    below = {k: (measured[k], floors[k]) for k in measured if measured[k] + 1e-12 < floors[k]}
    assert not below, f"below the floor (measured, floor): {below}\n" + "\n".join(misses[:40])


def _history() -> list[tuple[str, dict]]:
    root = FLOORS.parent.parent
    try:
        log = subprocess.run(["git", "log", "--format=%H%x00%B%x01", "--", str(FLOORS)], cwd=root,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    versions = []
    for entry in log.split("\x01"):
        if not entry.strip():
            continue
        commit, _, message = entry.strip().partition("\x00")
        shown = subprocess.run(["git", "show", f"{commit}:tests/accuracy_floor.json"], cwd=root,
                               capture_output=True, text=True)
        if shown.returncode == 0:
            versions.append((message, json.loads(shown.stdout)))
    return list(reversed(versions))


def test_floors_never_dropped_without_an_explicit_flag():
    versions = [*_history(), ("working tree", json.loads(FLOORS.read_text()))]
    for (_, before), (message, after) in itertools.pairwise(versions):
        dropped = {k: (before[k], after.get(k)) for k in before if after.get(k, -1) < before[k]}
        assert not dropped or "ALLOW-FLOOR-DROP:" in message, f"floors dropped {dropped} in: {message[:80]}"

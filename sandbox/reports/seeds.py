"""The five real seed reports as hand-transcribed specs (tests/fixtures/seeds/NNN.json), the ground truth the
fixture corpus and the sandbox's generated reports start from."""
from __future__ import annotations

from pathlib import Path

from sandbox.reports.spec import ReportSpec

SEEDS_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "seeds"


def seed_specs(directory: Path = SEEDS_DIR) -> dict[int, ReportSpec]:
    """Seed number → spec, in order."""
    return {int(p.stem): ReportSpec.from_json(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))}

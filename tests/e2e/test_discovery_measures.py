"""Issue 16's measures end to end on the sandbox's 福建省 on real divisions: `nianbao demo --discover` (discovery from
the provincial portal alone, acceptance, the report crawl over the discovered registry) against the floors kept in
accuracy_floor.json and the coverage roll-up the ground truth implies. (The re-run a week later:
test_discovery_rerun.py.)"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from sandbox.evaluate_discovery import KINDS
from tests.support import ROOT, TESTS

FLOORS = TESTS / "accuracy_floor.json"
LINE = re.compile(r"^  discovery (portals|columns|units): (\d+)/(\d+) found \((\d+\.\d) %\), (\d+) bound wrongly$",
                  re.MULTILINE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path_factory.mktemp("demo-discover")
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--discover", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done, json.loads((out / "measures.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_discovery_finds_what_the_floors_ask_and_binds_nothing_wrongly(demo):
    done, measures = demo
    floors = json.loads(FLOORS.read_text())
    printed = {m[1]: m for m in LINE.finditer(done.stdout)}
    assert set(printed) == set(KINDS), done.stdout[-4000:]
    for kind in KINDS:
        tally = measures["discovery"][kind]
        found, expected = tally["found"], tally["expected"]
        assert printed[kind].groups()[1:] == (str(found), str(expected), f"{100 * found / expected:.1f}", "0")
        assert found / expected + 1e-12 >= floors[f"discovery_{kind}"], tally["missed"][:20]
        assert tally["wrong"] == [], tally["wrong"][:20]
    assert measures["unknown"] == []
    assert measures["discovery_requests"] <= 1.5 * measures["discovery_minimum"], measures["discovery_requests"]


@pytest.mark.slow
def test_the_report_crawl_over_the_discovered_registry_matches_the_truth(demo):
    done, measures = demo
    reports, floors = measures["reports"], json.loads(FLOORS.read_text())
    assert reports["precision"] + 1e-12 >= floors["discovery_report_precision"], reports
    assert reports["recall"] + 1e-12 >= floors["discovery_report_recall"], reports
    assert measures["rollup_differences"] == []
    assert "equal to the manifest's" in done.stdout

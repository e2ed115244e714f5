"""The hard cases of the extraction issue, each named, on the fixture corpus."""
from __future__ import annotations

import json

import pytest

from pipelines.document import Failure
from pipelines.extract import extract
from sandbox.accuracy import DOCS, fixtures

GOLDENS = {doc.name: json.loads(golden.read_text("utf-8")) for doc, golden in fixtures()}


def _run(name: str):
    return extract((DOCS / name).read_bytes(), name)


@pytest.mark.parametrize("name", sorted(n for n, g in GOLDENS.items() if g.get("is_report") and "broken_rules" in g))
def test_checks_flag_exactly_the_rules_a_report_breaks(name):
    report = _run(name)
    failed = {c.rule for c in report.checks if not c.ok and c.rule in ("R1", "R2", "R3", "R4")}
    assert failed == set(GOLDENS[name]["broken_rules"])


def test_the_corpus_has_reports_breaking_r1_and_r3():
    broken = {rule for g in GOLDENS.values() for rule in g.get("broken_rules", [])}
    assert {"R1", "R3"} <= broken


def test_a_late_report_in_the_2019_format_is_read_as_2019():
    laggards = [n for n, g in GOLDENS.items() if g.get("template") == "2019" and (g.get("year") or 0) >= 2021]
    assert laggards
    for name in laggards:
        report = _run(name)
        assert (report.template, report.year) == ("2019", GOLDENS[name]["year"])


@pytest.mark.parametrize(("name", "reason"), [
    ("lookalike-interpretation.html", "年报解读"),
    ("lookalike-website_report.html", "政府网站工作年度报表"),
    ("lookalike-notice.html", "部署通知"),
    ("lookalike-cover_letter.docx", "cover letter only"),
])
def test_look_alikes_are_not_reports(name, reason):
    report = _run(name)
    assert not report.is_report and reason in report.reason and report.fields == {}


@pytest.mark.parametrize(("name", "message"), [
    ("broken-corrupt.pdf", "PDF"),
    ("broken-encrypted.pdf", "encrypted"),
    ("broken-truncated.docx", "DOCX"),
    ("broken-empty.pdf", "empty"),
    ("broken-truncated.ofd", "OFD"),
])
def test_unreadable_inputs_give_a_clear_error(name, message):
    result = _run(name)
    assert isinstance(result, Failure) and message in result.error

"""A crawl of a sandbox world whose reports include ones with their tables published only as pictures: those
reports' cells reach the archive equal to the manifest's, counted in the main field figure, and a second run adds
no version. The crawl is the session's shared one (tests/support/shared_crawl.py): seven reports of 2023–2025 with
their tables as pictures, all published before the first run."""
from __future__ import annotations

import pytest

from crawler.spiders.reports import parse_years
from sandbox.evaluate import measure
from tests.support.pictures import needs_font, needs_ocr
from tests.support.shared_crawl import YEARS

pytestmark = [needs_ocr, needs_font, pytest.mark.slow]


@pytest.fixture(scope="module")
def crawled(sandbox_crawl):
    c = sandbox_crawl
    return {"first": c.first, "second": c.second, "after_first": c.versions_after_first,
            "after_second": c.versions_after_second, "first_truth": c.first_truth, "truth": c.truth,
            "archive": c.archive()}


def test_picture_tables_reach_the_archive_equal_to_the_manifest(crawled):
    assert crawled["first"].code == 0, crawled["first"].output[-3000:]
    m = measure(crawled["archive"], crawled["truth"], parse_years(YEARS))
    assert m.image_cells >= 300, m.lines()
    assert m.image_cells_equal / m.image_cells >= 0.995, m.lines()
    assert m.field_accuracy >= 0.995, m.lines()


def test_a_second_run_adds_no_version(crawled):
    assert crawled["second"].code == 0, crawled["second"].output[-3000:]
    assert any(r["form"] == "image" for r in crawled["first_truth"]["reports"])  # there when both runs crawled
    assert crawled["after_second"] == crawled["after_first"]
    assert crawled["second"].record["totals"].get("updated", 0) == 0

"""A crawl of a small sandbox world whose reports include ones with their tables published only as pictures: those
reports' cells reach the archive equal to the manifest's, counted in the main field figure, and a second run adds
no version."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from archive.db import open_archive
from archive.models import T
from crawler.spiders.reports import parse_years
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.support.crawls import run_crawl, sandbox_files
from tests.support.pictures import needs_font, needs_ocr

pytestmark = [needs_ocr, needs_font, pytest.mark.slow]
YEARS = "2023-2025"


def _versions(archive) -> list[tuple]:
    ver = T["versions"]
    with archive.reader.connect() as conn:
        return sorted(conn.execute(select(ver.c.report_id, ver.c.fingerprint)).all())


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    # Scale 1, seed 1: 43 reports of 2023–2025 on two portals, two of them with their tables as pictures.
    sandbox = Sandbox(Options(scale=1, seed=1, documents_per_format=1, today=dt.date(2026, 4, 30)))
    folder = tmp_path_factory.mktemp("pictures")
    registry, db = sandbox_files(sandbox, folder)
    with ServerThread(sandbox.handle) as server:
        first = run_crawl(server.proxy, registry, db, YEARS, "first")
        after_first = _versions(open_archive(str(db)))
        second = run_crawl(server.proxy, registry, db, YEARS, "second")
        truth = manifest(sandbox)
    sandbox.close()
    return {"first": first, "second": second, "after_first": after_first, "truth": truth,
           "archive": open_archive(str(db))}


def test_picture_tables_reach_the_archive_equal_to_the_manifest(crawled):
    assert crawled["first"].code == 0, crawled["first"].output[-3000:]
    m = measure(crawled["archive"], crawled["truth"], parse_years(YEARS))
    assert m.image_cells >= 300, m.lines()
    assert m.image_cells_equal / m.image_cells >= 0.995, m.lines()
    assert m.field_accuracy >= 0.995, m.lines()


def test_a_second_run_adds_no_version(crawled):
    assert crawled["second"].code == 0, crawled["second"].output[-3000:]
    assert _versions(crawled["archive"]) == crawled["after_first"]
    assert crawled["second"].record["totals"].get("updated", 0) == 0

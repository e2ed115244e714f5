"""Hostile inputs (issue 19): a crash, an abort, a hang, a bomb or a special file costs its own document alone, as a
recorded error naming its cause, within the limits; the documents beside it are read, and counts and exit status are
true. Inputs are generated (sandbox/hostile.py); each is extracted in a process of its own to measure its worker's
peak memory, which the test prints (pytest -s) for the record. Its crawl is its own, not the session's shared one
(tests/support/shared_crawl.py): the cell limit raised out of the way and a document per ingest batch."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from multiprocessing import active_children

import pytest
from sqlalchemy import text

from archive.store.blobs import BlobStore
from archive.store.db import open_archive
from crawler.spiders.reports import parse_years
from pipelines.limits import Limits
from pipelines.workers import ExtractionPool
from sandbox import hostile
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.support import ROOT
from tests.support.crawls import run_crawl, sandbox_files

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")

GOOD = hostile.DOCS / "gen01-2021.html"
MEMORY_MB = Limits().memory_mb

@pytest.mark.parametrize(("name", "limits", "kind", "word"), hostile.CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in hostile.CASES])
def test_hostile_input_is_a_recorded_error_or_a_result(name, limits, kind, word):
    found = hostile.probe(name, **limits)
    print(f"\n{name} {limits or ''}: {found}")
    assert found["error_kind"] == kind
    if kind is None:
        assert found["error"] is None and found["is_report"] is not None
    else:
        assert word in found["error"]
    assert found["peak_mb"] < limits.get("memory_mb", MEMORY_MB)


def test_xlsx_with_far_cells_fails_alone_in_a_pool_that_goes_on():
    with ExtractionPool(1, Limits(table_cells=10**12)) as pool:
        results = pool.map([(GOOD.read_bytes(), "before"), (hostile.xlsx_far_cells(), "bad"),
                            (GOOD.read_bytes(), "after")])
    assert [r.is_report for r in (results[0], results[2])] == [True, True]
    assert (results[1].kind, results[1].format) == ("crashed", "xlsx")


@pytest.fixture(scope="module")
def blank_pages() -> bytes:
    from pipelines.formats import image

    if not image.ocr_available():
        pytest.skip(image.MISSING_OCR)
    return hostile.pdf_scanned_pages()


def test_a_killed_worker_costs_its_document_alone(blank_pages):
    with ExtractionPool(1) as pool:
        slow = pool.submit(blank_pages, "blank.pdf")
        while not (workers := [p for p in active_children() if p.name == "nianbao-extraction"]):
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(workers[0].pid, signal.SIGKILL)
        result = slow.result()
        assert result.kind == "crashed" and "signal 9 (SIGKILL)" in result.error
        assert pool(GOOD.read_bytes(), "good.html").is_report


def _nianbao(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *argv], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_extract_refuses_fifos_and_devices_without_waiting(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = _nianbao("extract", "--json", str(fifo), "/dev/zero", str(GOOD))
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1
    assert [r.get("error") for r in results[:2]] == ["not a regular file (a FIFO)", "not a regular file (a device)"]
    assert results[2]["is_report"]


def test_import_of_a_folder_goes_past_bad_files_names_them_and_fails(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "a-far.xlsx").write_bytes(hostile.xlsx_far_cells())
    (folder / "b-bomb.docx").write_bytes(hostile.docx_zip_bomb())
    os.mkfifo(folder / "c-pipe")
    (folder / "d-good.html").write_bytes(GOOD.read_bytes())
    common = ("--db", str(tmp_path / "archive.sqlite"), "--data", str(tmp_path / "data"))
    for run in (1, 2):  # a re-run is not stuck on them either, and says again that they failed
        done = _nianbao("import", str(folder), *common)
        assert done.returncode == 1, done.stderr
        stats = json.loads(done.stdout)
        assert stats["failed"] == 3 and stats["inserted" if run == 1 else "noop"] == 1
        lines = done.stderr.splitlines()
        assert any("a-far.xlsx: failed" in line and "NIANBAO_TABLE_MAX_CELLS" in line for line in lines)
        assert any("b-bomb.docx: failed" in line and "NIANBAO_ZIP_MAX_MB" in line for line in lines)
        assert any("c-pipe: failed: not a regular file (a FIFO)" in line for line in lines)
        assert any(line.startswith("[4/4]") and "d-good.html: " in line for line in lines)
    archive = open_archive(str(tmp_path / "archive.sqlite"), tmp_path / "data")
    with archive.engine.connect() as conn:
        failed = conn.execute(text("SELECT c.final_url, c.sha256 FROM captures c JOIN extractions e "
                                   "ON e.sha256 = c.sha256 WHERE e.error IS NOT NULL")).all()
        errors = dict(conn.execute(text("SELECT kind, sum(count) FROM run_errors GROUP BY kind")).all())
    # The failed documents are archived, bytes and error: a later parser (`reparse`) may read them.
    assert sorted(url.rsplit("/", 1)[1] for url, _ in failed) == ["a-far.xlsx", "b-bomb.docx"]
    blobs = BlobStore(archive.data_dir)
    assert {blobs.get(sha) for _, sha in failed} == {(folder / n).read_bytes() for n in ("a-far.xlsx", "b-bomb.docx")}
    assert errors["extraction_limit"] == 2 and errors["unreadable_file"] == 2  # the captures counted once


def test_a_crawl_archives_every_report_beside_a_parser_that_aborts(tmp_path):
    """The issue's crawl: an XLSX that aborts its reader (the cell limit raised out of the way, so calamine really
    aborts) and other poison in a report column, ingested a document per batch. Every report is archived, the poison
    as error captures naming the cause, the run's counts are true and it exits 0."""
    sandbox = Sandbox(Options(scale=1, seed=3, documents_per_format=1, slow_seconds=0, today=dt.date(2026, 4, 30)))
    portal = next(p for p in sandbox.world.portals if "poison_documents" in p.hazards)
    registry, db = sandbox_files(sandbox, tmp_path, host=portal.host)
    with ServerThread(sandbox.handle) as server:
        crawl = run_crawl(server.proxy, registry, db, "2023-2025", "poison",
                          "-s", "NIANBAO_TABLE_MAX_CELLS=1000000000000", "-s", "NIANBAO_INGEST_BATCH=1")
        truth = manifest(sandbox)
    sandbox.close()
    assert crawl.code == 0, crawl.output[-3000:]
    archive = open_archive(str(db))
    m = measure(archive, truth, parse_years("2023-2025"))
    assert m.expected > 10 and m.recall == 1.0 and m.precision == 1.0, (m.missed, m.false_reports)
    poison = next(h for h in truth["hazards"] if h["kind"] == "poison_documents")["documents"]
    with archive.reader.connect() as conn:
        errors = dict(conn.execute(text(
            "SELECT c.requested_url, e.error FROM captures c JOIN extractions e ON e.sha256 = c.sha256")).all())
    by_payload = {d["payload"]: errors.get(d["url"]) for d in poison}
    assert "signal 6 (SIGABRT)" in by_payload["far_cells"]
    assert "NIANBAO_ZIP_MAX_MB" in by_payload["zip_bomb"]
    # Without its cell limit the span bomb expands to 20 million positions, until the worker's memory limit.
    assert "exceeded memory limit 1,024 MB" in by_payload["span_bomb"]
    assert by_payload["damaged_deflate"] is None  # read: not a report
    record = next(p for p in crawl.record["portals"] if p["portal"] == portal.url)
    assert {k: n for k, n in record["errors"].items() if k.startswith("extraction_")} == {
        "extraction_crashed": 1, "extraction_limit": 1, "extraction_memory": 1}
    assert record["outcomes"]["unreadable"] == 3
    totals = crawl.record["totals"]
    assert f"{totals['documents']} documents archived" in crawl.output  # committed, every one handed on

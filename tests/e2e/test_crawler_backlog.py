"""Downloads wait for extraction once the documents waiting for it pass NIANBAO_EXTRACT_BACKLOG_MB, and every report
is still archived complete: a crawl of one portal with room for a couple of documents at a time (its own crawl, not
the session's shared one in tests/support/shared_crawl.py: the backlog setting is what it tests)."""
from __future__ import annotations

import re

import pytest

from archive.ingest.identity import normalise_agency
from archive.store.db import open_archive
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.support.crawls import run_crawl, sandbox_files

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")


def test_a_crawl_waiting_for_extraction_archives_every_report(tmp_path):
    sandbox = Sandbox(Options(scale=3, seed=3, documents_per_format=1))
    try:
        host = sandbox.world.portals[0].host
        registry, db = sandbox_files(sandbox, tmp_path, host)
        with ServerThread(sandbox.handle) as server:
            done = run_crawl(server.proxy, registry, db, "2019-2025", "backlog", "-s",
                             "NIANBAO_EXTRACT_BACKLOG_MB=0.02",
                             "-s", "LOG_LEVEL=INFO")
        truth = manifest(sandbox)
    finally:
        sandbox.close()
    assert done.code == 0, done.output[-3000:]
    waits = re.search(r"'nianbao/extraction_backlog_waits': (\d+)", done.output)
    assert waits and int(waits.group(1)) > 10, done.output[-3000:]
    m = measure(open_archive(str(db)), truth, range(2019, 2026))
    on_host = {(normalise_agency(r["agency"]), r["year"]) for r in truth["reports"]
               if f"//{host}/" in r["documents"][0]["url"]}
    assert on_host and m.cells and m.field_accuracy == 1.0, m.lines()
    assert len(on_host) == m.found and not on_host & set(m.missed), (on_host, m.missed)

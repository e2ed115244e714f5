"""The sandbox crawl that the end-to-end tests which only read a crawl's result share: crawled once per test session,
kept on disk, and read by every module and every pytest-xdist worker that asks for it (the `sandbox_crawl` fixture of
tests/e2e/conftest.py).

The world (scale 6, seed 3) has every platform family and every hazard, paged TRS articles, Hanweb's annual-report
JSP, IP-only portals, a spam clone, third-party evaluations and reports whose tables are published only as pictures.
It is crawled three times over 2023–2025: first in mid-February, when many 2025 reports are still to come; again,
unchanged; and on 30 April, after more reports were published. Its readers are test_crawler_sandbox,
test_crawler_realism and test_crawl_table_pictures. They read the archive, the run records and the sandbox's request
counts and write nothing: a test that needs to write into an archive crawls (or copies) one of its own."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock
from sqlalchemy import select

from archive.store.db import Archive, open_archive
from archive.store.models import T
from sandbox.app import Options, Sandbox
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.support.crawls import Crawl, run_crawl, sandbox_files

YEARS = "2023-2025"
FIRST_SEEN = dt.date(2026, 2, 16)
LATER = dt.date(2026, 4, 30)
RESULT = "result.json"  # written last: its presence says the crawls are complete


@dataclass
class SharedCrawl:
    folder: Path  # the archive (archive.sqlite, blobs, WARC files), the registry and the runs' JSON records
    first: Crawl
    second: Crawl  # unchanged world, the day of the first
    third: Crawl  # on 30 April, after more reports were published
    first_truth: dict  # the manifest (without fields) the first two runs saw
    truth: dict  # the manifest the third run saw
    requests: dict[str, int]  # the sandbox's requests by host over the three runs
    versions_after_first: list[tuple[int, str]]  # (report id, fingerprint) of every version after the first run
    versions_after_second: list[tuple[int, str]]

    @property
    def db(self) -> Path:
        return self.folder / "archive.sqlite"

    def archive(self) -> Archive:
        return open_archive(str(self.db), upgrade=False)


def versions(db: Path) -> list[tuple[int, str]]:
    archive = open_archive(str(db), upgrade=False)
    ver = T["versions"]
    try:
        with archive.reader.connect() as conn:
            return sorted((int(r.report_id), str(r.fingerprint))
                          for r in conn.execute(select(ver.c.report_id, ver.c.fingerprint)))
    finally:
        archive.engine.dispose()


def crawl(folder: Path) -> SharedCrawl:
    sandbox = Sandbox(Options(scale=6, seed=3, documents_per_format=1, slow_seconds=0.3, today=FIRST_SEEN))
    registry, db = sandbox_files(sandbox, folder)
    try:
        with ServerThread(sandbox.handle) as server:
            sandbox.store.prewarm(sandbox.slow_documents())
            sandbox.requests.clear()
            first = run_crawl(server.proxy, registry, db, YEARS, "first")
            after_first = versions(db)
            second = run_crawl(server.proxy, registry, db, YEARS, "second")
            after_second = versions(db)
            first_truth = manifest(sandbox, fields=False)
            sandbox.today = LATER
            third = run_crawl(server.proxy, registry, db, YEARS, "third")
            truth = manifest(sandbox)
            requests = dict(sandbox.requests)
    finally:
        sandbox.close()
    return SharedCrawl(folder, first, second, third, first_truth, truth, requests, after_first, after_second)


def _save(result: SharedCrawl) -> None:
    fields = {k: v for k, v in asdict(result).items() if k != "folder"}
    (result.folder / RESULT).write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")


def _load(folder: Path) -> SharedCrawl:
    fields = json.loads((folder / RESULT).read_text(encoding="utf-8"))
    for run in ("first", "second", "third"):
        fields[run] = Crawl(**fields[run])
    for after in ("versions_after_first", "versions_after_second"):
        fields[after] = [tuple(v) for v in fields[after]]
    return SharedCrawl(folder, **fields)


def shared_crawl(basetemp: Path) -> SharedCrawl:
    """The crawl, made by whichever worker asks first while the others wait on the lock (pytest-xdist's recipe for
    session data: the session's folder is the parent of the workers' own); without xdist, in `basetemp`."""
    root = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    folder = root / "sandbox-crawl"
    with FileLock(root / "sandbox-crawl.lock"):
        if not (folder / RESULT).exists():
            shutil.rmtree(folder, ignore_errors=True)  # what an attempt that raised left behind
            folder.mkdir()
            _save(crawl(folder))
        return _load(folder)

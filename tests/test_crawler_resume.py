"""A crawl killed with SIGKILL and started again finishes the work: no duplicate captures, no lost report."""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select

from archive.db import open_archive
from archive.models import T
from crawler.spiders.reports import parse_years
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.crawler_support import ROOT, crawl_args, env, run_crawl, sandbox_files

YEARS = "2024-2025"


def _captures(db) -> int:
    if not db.exists():
        return 0
    archive = open_archive(str(db), upgrade=False)
    try:
        with archive.reader.connect() as conn:
            return conn.execute(select(func.count()).select_from(T["captures"])).scalar() or 0
    except Exception:  # the tables do not exist yet
        return 0
    finally:
        archive.engine.dispose()


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def test_killed_crawl_resumes_without_duplicates_or_losses(tmp_path):
    sandbox = Sandbox(Options(scale=4, seed=11, documents_per_format=1, slow_seconds=0.3))
    registry, db = sandbox_files(sandbox, tmp_path)
    with ServerThread(sandbox.handle) as server:
        sandbox.store.prewarm(sandbox.slow_documents())
        process = subprocess.Popen(crawl_args(registry, db, YEARS, "killed"), env=env(server.proxy), cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 120
        while _captures(db) < 30 and time.time() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert process.poll() is None, "the crawl finished before it could be killed"
        workers = _children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_at = _captures(db)
        deadline = time.time() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.time() < deadline:
            time.sleep(0.2)
        orphans = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        resumed = run_crawl(server.proxy, registry, db, YEARS, "resumed")
        truth = manifest(sandbox)
    sandbox.close()
    assert resumed.code == 0, resumed.output[-3000:]
    archive = open_archive(str(db))
    cap = T["captures"]
    with archive.reader.connect() as conn:
        twice = conn.execute(select(cap.c.requested_url).group_by(cap.c.requested_url)
                             .having(func.count() > 1)).scalars().all()
        total = conn.execute(select(func.count()).select_from(cap)).scalar()
    assert workers and not orphans  # the killed crawl's extraction workers ended with it
    assert twice == []
    assert total > killed_at >= 30
    m = measure(archive, truth, parse_years(YEARS))
    assert m.recall == 1.0, m.missed
    assert m.precision == 1.0, m.false_reports

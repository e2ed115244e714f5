"""A crawl killed with SIGKILL and started again finishes the work: no duplicate captures, no lost report. The crawls
are the module's own, not the session's shared one (tests/support/shared_crawl.py): each is killed mid-way."""
from __future__ import annotations

import datetime as dt
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from archive.store.db import open_archive
from archive.store.models import T
from crawler.spiders.reports import parse_years
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.support.crawls import ROOT, crawl_args, env, run_crawl, sandbox_files
from tests.support.pictures import needs_font, needs_ocr

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")

YEARS = "2024-2025"
# Scale 1, seed 1: this host's two reports of 2023 publish their tables as pictures only.
PICTURES_HOST = "www.lingfeng.gov.cn"
PICTURE_YEARS = "2023-2025"


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


def _archived(db, urls: set[str]) -> set[str]:
    """Which of `urls` the archive holds a capture of."""
    if not db.exists():
        return set()
    archive = open_archive(str(db), upgrade=False)
    cap = T["captures"]
    try:
        with archive.reader.connect() as conn:
            return set(conn.execute(select(cap.c.requested_url).where(cap.c.requested_url.in_(urls))).scalars())
    except Exception:  # the tables do not exist yet
        return set()
    finally:
        archive.engine.dispose()


def _descendants(pid: int) -> list[int]:
    """Its children (extraction workers), theirs (LibreOffice's UNO worker) and so on (soffice)."""
    try:
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except OSError:  # it ended meanwhile
        return []
    return children + [d for child in children for d in _descendants(child)]


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


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
        workers = _descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_at = _captures(db)
        deadline = time.time() + 10
        while any(_running(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.2)
        orphans = [pid for pid in workers if _running(pid)]
        profiles = [p for pid in workers for p in Path(tempfile.gettempdir()).glob(f"nianbao-lo-{pid}-*")]
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
    assert workers and not orphans  # the killed crawl's extraction workers (and LibreOffice) ended with it
    assert not profiles
    assert twice == []
    assert total > killed_at >= 30
    m = measure(archive, truth, parse_years(YEARS))
    assert m.recall == 1.0, m.missed
    assert m.precision == 1.0, m.false_reports


@needs_ocr
@needs_font
def test_a_crawl_killed_after_a_page_and_before_its_pictures_resumes_with_every_cell(tmp_path):
    """The kill falls where the issue's did, deterministically: the sandbox holds every table picture, the crawl is
    killed once a page showing them is archived, and the resumed crawl gets the pictures. On resume they are asked
    for from the listing walked again (the page is known): the page's own <img> links are what joins them to it."""
    sandbox = Sandbox(Options(scale=1, seed=1, documents_per_format=1, today=dt.date(2026, 4, 30)))
    registry, db = sandbox_files(sandbox, tmp_path, host=PICTURES_HOST)
    truth = manifest(sandbox)
    shown = [r for r in truth["reports"] if r["form"] == "image" and r["year"] in parse_years(PICTURE_YEARS)]
    pages = {d["url"] for r in shown for d in r["documents"] if d["role"] == "page"}
    held_paths = {urlsplit(d["url"]).path for r in shown for d in r["documents"] if d["role"] == "image"}
    holding = threading.Event()
    holding.set()

    def handle(req):
        response = sandbox.handle(req)
        if holding.is_set() and req.path in held_paths:
            response.delay = 3600.0  # until the crawl is killed
        return response

    with ServerThread(handle) as server:
        process = subprocess.Popen(crawl_args(registry, db, PICTURE_YEARS, "killed"), env=env(server.proxy),
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.time() + 180
        # One page at most: its held pictures take both of the host's request slots.
        while not _archived(db, pages) and time.time() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert process.poll() is None, "the crawl finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        archived_at_kill = _archived(db, {d["url"] for r in shown for d in r["documents"]})
        holding.clear()
        resumed = run_crawl(server.proxy, registry, db, PICTURE_YEARS, "resumed")
    sandbox.close()
    assert archived_at_kill and archived_at_kill <= pages  # a page, and none of the pictures
    assert resumed.code == 0, resumed.output[-3000:]
    archive = open_archive(str(db))
    cap = T["captures"]
    pictures = {d["url"]: r for r in shown for d in r["documents"] if d["role"] == "image"}
    page_of = {url: next(d["url"] for d in r["documents"] if d["role"] == "page") for url, r in pictures.items()}
    with archive.reader.connect() as conn:
        referrers = dict(conn.execute(select(cap.c.requested_url, cap.c.referrer).where(
            cap.c.requested_url.in_(pictures))).all())
    assert referrers == page_of  # provenance: each picture was linked from its page, also when asked for on resume
    m = measure(archive, truth, parse_years(PICTURE_YEARS))
    assert m.recall == 1.0, m.missed
    assert m.image_cells == sum(len(truth["field_keys"][r["template"]]) for r in shown), m.lines()
    assert m.image_cells_equal / m.image_cells >= 0.995, m.lines()

"""Scrapyd: the project builds as an egg (`scrapyd-deploy --build-egg`, as scrapy.cfg's [deploy] says), a real
Scrapyd on a loopback port takes it, lists the `reports` spider, runs it against a small sandbox and the job's
reports land in the archive (the crawl is Scrapyd's, not the session's shared one in tests/support/shared_crawl.py)."""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from archive.store.db import open_archive
from archive.store.models import T
from sandbox.app import Options, Sandbox
from sandbox.server import ServerThread
from tests.support.crawls import ROOT

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def egg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("egg") / "nianbao.egg"
    done = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def test_the_egg_holds_the_code_the_settings_entry_point_and_the_migrations(egg):
    import zipfile

    with zipfile.ZipFile(egg) as z:
        names = set(z.namelist())
        entry_points = z.read("EGG-INFO/entry_points.txt").decode()
    assert {"crawler/spiders/reports.py", "crawler/settings.py", "archive/store/migrations/env.py",
            "archive/store/migrations/versions/0001_initial_schema.py", "pipelines/extract.py"} <= names
    assert "[scrapy]\nsettings = crawler.settings" in entry_points


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    sandbox = Sandbox(Options(scale=2, seed=5, documents_per_format=1, slow_seconds=0.3, today=dt.date(2026, 5, 1)))
    folder = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {folder / 'eggs'}\n"
        f"logs_dir = {folder / 'logs'}\nitems_dir =\ndbs_dir = {folder / 'dbs'}\nmax_proc = 1\n", encoding="utf-8")
    with ServerThread(sandbox.handle) as server:
        sandbox.store.prewarm(sandbox.slow_documents())
        env = {**os.environ, "http_proxy": server.proxy, "HTTP_PROXY": server.proxy, "PYTHONPATH": ""}
        process = subprocess.Popen([str(BIN / "scrapyd")], cwd=folder, env=env, stdout=subprocess.DEVNULL,
                                   stderr=open(folder / "scrapyd.err", "wb"))  # noqa: SIM115 (Scrapyd's)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if requests.get(f"{url}/daemonstatus.json", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)
            else:
                pytest.fail((folder / "scrapyd.err").read_text(errors="replace"))
            yield {"url": url, "folder": folder, "sandbox": sandbox}
        finally:
            process.terminate()
            process.wait(30)
    sandbox.close()


def test_scrapyd_runs_the_deployed_spider_into_the_archive(egg, scrapyd):
    url, folder = scrapyd["url"], scrapyd["folder"]
    registry = folder / "registry.csv"
    registry.write_text(scrapyd["sandbox"].registry(), encoding="utf-8")
    with egg.open("rb") as f:
        added = requests.post(f"{url}/addversion.json", data={"project": "nianbao", "version": "1"},
                              files={"egg": f}, timeout=60).json()
    # The egg carries both spiders: the report crawl and discovery (issue 16).
    assert added["status"] == "ok" and added["spiders"] == 2, added
    assert requests.get(f"{url}/listspiders.json", params={"project": "nianbao"}, timeout=30).json()["spiders"] \
        == ["discover", "reports"]
    db = folder / "archive.sqlite"
    settings = [f"NIANBAO_DB={db}", "NIANBAO_ALLOW_PRIVATE=True", "AUTOTHROTTLE_ENABLED=False",
                "NIANBAO_PROGRESS_SECONDS=0", "LOG_LEVEL=INFO"]
    job = requests.post(f"{url}/schedule.json", timeout=30, data={
        "project": "nianbao", "spider": "reports", "registry": str(registry), "years": "2024-2025",
        "run_id": "scrapyd-1", "setting": settings}).json()
    assert job["status"] == "ok", job
    deadline = time.time() + 400
    while time.time() < deadline:
        jobs = requests.get(f"{url}/listjobs.json", params={"project": "nianbao"}, timeout=30).json()
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(1)
    log = next((folder / "logs").rglob(f"{job['jobid']}.log"), None)
    text = log.read_text(encoding="utf-8", errors="replace") if log else "(no log)"
    assert any(j["id"] == job["jobid"] for j in jobs["finished"]), text[-3000:]
    assert "'finish_reason': 'finished'" in text, text[-3000:]
    archive = open_archive(str(db))
    with archive.engine.connect() as conn:
        reports = conn.execute(select(func.count()).select_from(T["reports"])).scalar()
        run = conn.execute(select(T["runs"]).where(T["runs"].c.id == "scrapyd-1")).one()
    assert reports > 0 and run.reason == "finished"
    assert (folder / "runs" / "scrapyd-1.json").exists()

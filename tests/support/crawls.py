"""Crawls of an in-process sandbox for the crawler's tests: each crawl runs `nianbao crawl` in a subprocess (a
Twisted reactor runs once per process) through the sandbox's proxy."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import ROOT

QUICK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_PROGRESS_SECONDS=0", "-s", "LOG_LEVEL=WARNING"]


@dataclass
class Crawl:
    code: int
    output: str
    record: dict


def crawl_args(registry: Path, db: Path, years: str, run_id: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", "--registry", str(registry), "--db", str(db),
            "--years", years, "--run-id", run_id, "--allow-private", *QUICK, *extra]


def env(proxy: str) -> dict[str, str]:
    return {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy, "PYTHONPATH": str(ROOT)}


def run_crawl(proxy: str, registry: Path, db: Path, years: str, run_id: str, *extra: str,
              timeout: float = 300) -> Crawl:
    done = subprocess.run(crawl_args(registry, db, years, run_id, *extra), env=env(proxy), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    path = db.parent / "runs" / f"{run_id}.json"
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return Crawl(done.returncode, done.stdout + done.stderr, record)


def sandbox_files(sandbox, folder: Path, host: str | None = None) -> tuple[Path, Path]:
    """The sandbox's registry written to `folder` (only the agencies on `host`, if given), and where the crawl's
    archive goes: (registry, database)."""
    registry, text = folder / "registry.csv", sandbox.registry()
    if host:
        header, *rows = text.splitlines()
        text = "\n".join([header] + [row for row in rows if f"//{host}/" in row]) + "\n"
    registry.write_text(text, encoding="utf-8")
    return registry, folder / "archive.sqlite"

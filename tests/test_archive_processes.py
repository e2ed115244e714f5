"""Several processes: concurrent ingest makes no duplicates; SIGKILL mid-ingest leaves a consistent archive."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from archive.blobs import BlobStore, sha256_hex
from archive.db import open_archive
from tests.archive import worker
from tests.conftest_archive import archive, count, db_url, m, snapshot  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
COUNT = 42


def spawn(db: str, data: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.archive.worker", db, str(data), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def reference(tmp_path: Path, n: int = COUNT, big: bool = False):
    ref = open_archive(str(tmp_path / "ref.sqlite"), tmp_path / "ref")
    worker.main([str(tmp_path / "ref.sqlite"), str(tmp_path / "ref"), str(n)] + (["big"] if big else []))
    return ref


def table_counts(arc) -> dict[str, int]:
    return {model.__tablename__: count(arc, model) for model in (
        m.Agency, m.Blob, m.Capture, m.Extraction, m.Report, m.Version, m.VersionSource, m.NearDuplicate)}


def assert_consistent(arc) -> None:
    """Every row points at something whole: blobs on disk with their digest, versions with sources, reports
    with a current version; no file under a blob's name holds other bytes."""
    store = BlobStore(arc.data_dir)
    with arc.engine.connect() as conn:
        for (sha,) in conn.execute(text("SELECT sha256 FROM blobs")):
            assert store.get(sha)
        assert conn.execute(text("SELECT count(*) FROM versions v WHERE NOT EXISTS "
                                 "(SELECT 1 FROM version_sources s WHERE s.version_id = v.id)")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM reports r WHERE r.current_version_id IS NULL OR NOT EXISTS "
                                 "(SELECT 1 FROM versions v WHERE v.id = r.current_version_id)")).scalar() == 0
    for path in (arc.data_dir / "blobs").glob("*/*/*"):
        if not path.name.startswith("."):
            assert sha256_hex(path.read_bytes()) == path.name


def test_two_processes_ingesting_at_once_make_no_duplicates(db_url, tmp_path):
    data = tmp_path / "data"
    open_archive(db_url, data).engine.dispose()  # schema first; concurrent first use is covered below
    procs = [spawn(db_url, data, str(COUNT)), spawn(db_url, data, str(COUNT), "reverse")]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    arc, ref = open_archive(db_url, data), reference(tmp_path)
    assert table_counts(arc) == table_counts(ref)
    assert_consistent(arc)
    if db_url.endswith(".sqlite"):
        assert snapshot(arc) == snapshot(ref)


def test_concurrent_first_use_creates_the_schema_once(tmp_path):
    db = str(tmp_path / "fresh.sqlite")
    procs = [spawn(db, tmp_path / "data", "3") for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert count(open_archive(db, tmp_path / "data"), m.Capture) == 3


def test_sigkill_mid_ingest_leaves_a_consistent_archive_and_reingest_completes_it(db_url, tmp_path):
    data, n = tmp_path / "data", 12
    open_archive(db_url, data).engine.dispose()
    rng = random.Random(7)
    for _ in range(3):
        proc = spawn(db_url, data, str(n), "big")
        proc.stdout.readline()  # at least one capture committed
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        arc = open_archive(db_url, data)
        assert_consistent(arc)
        arc.engine.dispose()
    done = spawn(db_url, data, str(n), "big")
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    arc, ref = open_archive(db_url, data), reference(tmp_path, n, big=True)
    assert_consistent(arc)
    assert table_counts(arc) == table_counts(ref)
    if db_url.endswith(".sqlite"):
        assert snapshot(arc) == snapshot(ref)

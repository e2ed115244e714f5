"""Fixtures every layer uses (tests/unit, tests/integration, tests/e2e each have a conftest.py of their own for the
rest): the five seed reports, and the archive databases each archive test runs on — SQLite, and PostgreSQL when
NIANBAO_TEST_PG is set (`.ci/run` starts a throwaway server; each test gets a fresh database on it)."""
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.store.db import Archive, open_archive
from tests.support import SEED_REPORTS
from tests.support.archive import BACKENDS, pg_database


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    paths = sorted(SEED_REPORTS.glob("*.txt"))
    assert len(paths) == 5, f"the five seed reports are expected in {SEED_REPORTS}"
    return paths


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "archive.sqlite")
        return
    url, drop = pg_database()
    yield url
    drop()


@pytest.fixture
def other_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the backend of `db_url`, to build an archive another way and compare."""
    if db_url.startswith("postgresql"):
        url, drop = pg_database()
        yield url
        drop()
    else:
        yield str(tmp_path / "other.sqlite")


@pytest.fixture
def archive(db_url: str, tmp_path: Path) -> Iterator[Archive]:
    arc = open_archive(db_url, tmp_path / "data")
    yield arc
    arc.engine.dispose()

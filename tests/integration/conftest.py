"""Fixtures of the integration tests (the archive on a database, formats read with LibreOffice or OCR, the sandbox
and the dashboard in process, the CLI in process): the dashboard's registry archive and a client on it."""
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive.store.db import open_archive
from tests.support.dashboard import Built, build_registry_archive, client_for


@pytest.fixture
def registry_archive(db_url: str, tmp_path: Path) -> tuple[str, Path, Built]:
    arc = open_archive(db_url, tmp_path / "data")
    built = build_registry_archive(arc)
    arc.engine.dispose()
    return db_url, tmp_path / "data", built


@pytest.fixture
def client(registry_archive) -> Iterator[tuple[TestClient, Built]]:
    db, data, built = registry_archive
    with client_for(db, data) as c:
        yield c, built

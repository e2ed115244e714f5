"""Helpers for the archive tests: every archive test runs on SQLite and, when NIANBAO_TEST_PG is set, PostgreSQL
(the fixtures `db_url`, `other_db_url` and `archive` in tests/conftest.py).

NIANBAO_TEST_PG is a URL of a server where the tests may create and drop databases (`.ci/run` starts a throwaway
one); each test gets a fresh database on it.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text

from archive.store.db import Archive
from sandbox import databases

PG_URL = os.environ.get("NIANBAO_TEST_PG")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="NIANBAO_TEST_PG unset"))]


def pg_database() -> tuple[str, Callable[[], None]]:
    """A fresh PostgreSQL database on NIANBAO_TEST_PG; returns its URL and a function that drops it."""
    assert PG_URL
    return databases.fresh_postgresql(PG_URL)


def count(archive: Archive, model) -> int:
    with archive.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def snapshot(archive: Archive) -> dict[str, object]:
    """The archive's content by natural keys only (no surrogate ids), to compare archives built differently."""
    with archive.engine.connect() as conn:
        q = lambda sql: sorted(tuple(r) for r in conn.execute(text(sql)))  # noqa: E731
        return {
            "agencies": q("SELECT name, level, kind, origin FROM agencies"),
            "blobs": q("SELECT sha256, size FROM blobs"),
            "captures": q("SELECT key, requested_url, final_url, fetched_at, sha256 FROM captures"),
            "reports": q("SELECT a.name, r.year, r.kind, r.versions, r.first_seen, r.published, r.url, cv.fingerprint "
                         "FROM reports r JOIN agencies a ON a.id = r.agency_id "
                         "JOIN versions cv ON cv.id = r.current_version_id"),
            "versions": q("SELECT a.name, r.year, v.seq, v.fingerprint, v.first_seen, v.last_seen, e.sha256 "
                          "FROM versions v JOIN reports r ON r.id = v.report_id JOIN agencies a ON a.id = r.agency_id "
                          "JOIN extractions e ON e.id = v.extraction_id"),
            "diffs": sorted(str(r) for r in conn.execute(text("SELECT fingerprint, diff FROM versions"))),
            "sources": q("SELECT s.sha256, v.fingerprint FROM version_sources s "
                         "JOIN versions v ON v.id = s.version_id"),
            "near_duplicates": q(
                "SELECT v1.fingerprint, v2.fingerprint, n.relation, n.same_tables FROM near_duplicates n "
                "JOIN versions v1 ON v1.id = n.version_id JOIN versions v2 ON v2.id = n.other_version_id"),
            "cross_checks": sorted(str(r) for r in conn.execute(text("SELECT year, cross_checks FROM reports"))),
        }

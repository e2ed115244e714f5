"""Concurrent writers on PostgreSQL can deadlock; `archive.store.sql.transaction` runs the victim again. A real
deadlock: two transactions lock two rows in opposite orders."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from archive.store.db import resolve_url
from archive.store.sql import transaction
from tests.support.archive import PG_URL, pg_database


@pytest.mark.skipif(not PG_URL, reason="NIANBAO_TEST_PG unset")
def test_the_deadlock_victim_is_run_again_and_both_writes_land():
    url, drop = pg_database()
    engine = create_engine(resolve_url(url), pool_size=4)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)"))
            conn.execute(text("INSERT INTO counters VALUES (1, 0), (2, 0)"))
        both_hold_one = threading.Barrier(2)
        attempts: list[int] = []

        def work(first: int, second: int):
            def run(conn):
                attempts.append(first)
                conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": first})
                if attempts.count(first) == 1:  # only the first attempts meet: the retry goes straight through
                    both_hold_one.wait(timeout=10)
                conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": second})
            return lambda: transaction(engine, run)

        threads = [threading.Thread(target=work(1, 2)), threading.Thread(target=work(2, 1))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        with engine.connect() as conn:
            counts = dict(conn.execute(text("SELECT id, n FROM counters")).all())
        assert counts == {1: 2, 2: 2}  # each transaction's two updates, once
        assert len(attempts) == 3  # PostgreSQL aborted one of the two, which ran again
    finally:
        engine.dispose()
        drop()

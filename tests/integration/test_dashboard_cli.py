"""`nianbao serve` / `nianbao search-index`, opening archives read-only, and the archive-state cache."""
from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta

import pytest

from archive.ingest.ingestor import Capture, Ingestor
from archive.store.db import open_archive
from archive.web.db import ArchiveUnavailable, open_read_only
from archive.web.snapshots import Snapshots
from crawler.cli import dashboard as cli, main
from sandbox import synthetic
from sandbox.synthetic import PARSER, T0


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nianbao")
    cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_serve_defaults_to_loopback():
    args = parse("serve")
    assert (args.host, args.port, args.db) == ("127.0.0.1", 8000, None)
    assert args.func is cli.cmd_serve
    assert cli._loopback("127.0.0.1") and cli._loopback("::1") and cli._loopback("localhost")
    assert not cli._loopback("0.0.0.0") and not cli._loopback("192.168.1.5")


def test_missing_archive_is_refused(tmp_path, capsys):
    assert main(["serve", "--db", str(tmp_path / "none.sqlite")]) == 2  # the command line's one line and status
    assert "no archive at" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()  # a read-only server creates nothing
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(ArchiveUnavailable, match="schema"):
        open_read_only(str(tmp_path / "empty.sqlite"))


def ingest(arc, agency: str, minutes: int) -> None:
    r = synthetic.report(agency, 2023, published="2024-01-10")
    Ingestor(arc, "run-1", extractor=lambda *_: r, parser_version=PARSER).ingest(
        Capture(requested_url=f"http://x.gov.cn/{minutes}.html", fetched_at=T0 + timedelta(minutes=minutes),
                run_id="run-1"), synthetic.body(r), r)


def test_search_index_command(tmp_path, capsys):
    db = str(tmp_path / "a.sqlite")
    arc = open_archive(db, tmp_path / "data")
    ingest(arc, "甲局", 0)
    arc.engine.dispose()
    args = parse("search-index", "--db", db)
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out) == {"indexed": 1, "removed": 0, "reports": 1}
    assert (tmp_path / "a.search.sqlite").is_file()


def test_snapshots_serve_the_last_figures_while_recomputing(tmp_path):
    db = str(tmp_path / "a.sqlite")
    arc = open_archive(db, tmp_path / "data")
    ingest(arc, "甲局", 0)
    reader = open_read_only(db)
    snapshots = Snapshots(reader.engine, stamp_interval=0)
    count = lambda conn: conn.exec_driver_sql("SELECT count(*) FROM reports").scalar()  # noqa: E731
    try:
        assert snapshots.get("n", count).value == 1
        ingest(arc, "乙局", 1)
        assert snapshots.get("n", count).value == 1  # the stamp moved: the old figure now, a new one computing
        deadline = time.monotonic() + 10
        while snapshots.get("n", count).value != 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        first = snapshots.get("n", count)
        assert snapshots.get("n", count) is first  # nothing changed: the same figures, not recomputed
    finally:
        snapshots.close()
        reader.engine.dispose()
        arc.engine.dispose()

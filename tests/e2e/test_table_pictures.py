"""A page whose tables are pictures, and the pictures, fetched apart and in any order, become one report with every
cell in the archive (archive.ingest.pictures), joined by the page's own <img> links whatever referrer the pictures'
requests carried; a kill between the pictures' commit and the joint reading is mended by the next crawl and by `nianbao
reparse`, which also rebuilds the links of pages archived before they were kept; re-runs change nothing, a page
revised with a changed picture is a new version (a picture changed under an unchanged page is read into its version),
a missing picture leaves the page's text and a warning; the export and the dashboard show the cells."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import delete, func, select

from archive.export.columns import column_name
from archive.export.rows import rows
from archive.ingest.identity import canonical_value
from archive.ingest.ingestor import Capture, Ingestor
from archive.ingest.stored_results import unpack
from archive.store.models import T
from pipelines.schema import field_keys
from sandbox.documents import tables
from sandbox.evaluate import archived_reports
from sandbox.synthetic import T0
from sandbox.table_image import table_png
from tests.support.crawls import ROOT, env
from tests.support.dashboard import client_for
from tests.support.pictures import SPECS, needs_font, needs_ocr, picture_page

pytestmark = [needs_ocr, needs_font]

PAGE = "https://www.example.gov.cn/art/2024/1/1/art_1_1.html"
LISTING = "https://www.example.gov.cn/col/col1/index.html"
SPEC = SPECS["seed 1"]
OTHER = SPECS["2021 n.a. dash, fee decimals"]  # another report of the 2021 form, with other applications numbers
CHANGED = next(k for k in field_keys("2021") if k.startswith("applications.") and SPEC.values[k] != OTHER.values[k])
PICTURES = [table_png(t) for t in tables(SPEC)]


def _captures(run: str, day: int, pictures: list[bytes], order: list[int] | None = None
              ) -> list[tuple[Capture, bytes, None]]:
    when = T0 + timedelta(days=day)
    out = [(Capture(PAGE, when, run, referrer=LISTING), picture_page(SPEC), None)]
    out += [(Capture(f"https://www.example.gov.cn/art/2024/1/1/table{n + 1}.png", when + timedelta(seconds=n + 1),
                     run, referrer=PAGE), data, None) for n, data in enumerate(pictures)]
    return [out[i] for i in order] if order else out


def _ingest(arc, run: str, captures, batch: int = 1) -> tuple[list[str], dict[str, int]]:
    ingestor = Ingestor(arc, run)
    outcomes = ingestor.ingest_many(captures, batch=batch)
    return outcomes, ingestor.stats.as_dict()


def _current(arc) -> dict:
    (fields,) = archived_reports(arc).values()
    return fields


def _versions(arc) -> list[tuple[int, str]]:
    ver = T["versions"]
    with arc.reader.connect() as conn:
        return sorted(conn.execute(select(ver.c.seq, ver.c.fingerprint)).all())


def _equal(fields: dict, spec) -> int:
    return sum(canonical_value(fields.get(k)) == canonical_value(spec.values[k]) for k in field_keys(spec.template))


def test_page_first_then_its_pictures_is_one_report_with_every_cell(archive):
    outcomes, stats = _ingest(archive, "run-1", _captures("run-1", 0, PICTURES))
    assert outcomes == ["inserted", "not_report", "not_report", "not_report"]
    assert stats["inserted"] == 1 and stats["updated"] == 0  # the pictures joining the page is not an update
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))
    assert len(_versions(archive)) == 1


def test_pictures_first_then_the_page_in_one_batch_gives_the_same_report(archive):
    _ingest(archive, "run-1", _captures("run-1", 0, PICTURES, order=[3, 1, 2, 0]), batch=10)
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))
    assert len(_versions(archive)) == 1


def test_pictures_asked_for_from_the_listing_join_their_page(archive):
    """A resumed crawl asks for a known page's pictures from the listing it walks again: their captures name the
    listing as referrer. The page's <img> links name the pictures, and join them all the same, in either order."""
    from_listing = [(replace(c, referrer=LISTING), data, r) for c, data, r in _captures("run-1", 0, PICTURES)]
    _ingest(archive, "run-1", from_listing[:1])
    _ingest(archive, "run-2", from_listing[1:])
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))
    assert len(_versions(archive)) == 1


def test_pictures_from_the_listing_before_their_page_give_the_same_report(archive):
    from_listing = [(replace(c, referrer=LISTING), data, r) for c, data, r in _captures("run-1", 0, PICTURES)]
    _ingest(archive, "run-1", from_listing[1:])
    _ingest(archive, "run-2", from_listing[:1])
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))


# The page and its pictures committed, and the process SIGKILLed where the joint reading would begin.
KILLED_BEFORE_THE_JOINT_READING = """
import os, signal, sys
from archive.store.db import open_archive
from archive.ingest.ingestor import Ingestor
from tests.e2e.test_table_pictures import PICTURES, _captures
Ingestor._join_pictures = lambda self, *args: os.kill(os.getpid(), signal.SIGKILL)
Ingestor(open_archive(sys.argv[1], sys.argv[2]), "killed").ingest_many(_captures("killed", 0, PICTURES), batch=1)
"""


def _killed_before_the_joint_reading(archive, db_url: str) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_BEFORE_THE_JOINT_READING, db_url, str(archive.data_dir)],
                          cwd=ROOT, env=env(""), capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    with archive.reader.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T["captures"])).scalar() == 4
    assert _current(archive)["applications.new_received.total"] is None  # the page alone: its pictures not read


def _reparse(archive, db_url: str) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "reparse", "--db", db_url, "--data",
                           str(archive.data_dir)], cwd=ROOT, env=env(""), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_kill_before_the_joint_reading_is_mended_by_the_next_crawl(archive, db_url):
    _killed_before_the_joint_reading(archive, db_url)
    Ingestor(archive, "next").join_all_pictures()  # what a crawl's archive writer does first
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))
    assert len(_versions(archive)) == 1


def test_reparse_mends_a_kill_before_the_joint_reading(archive, db_url):
    _killed_before_the_joint_reading(archive, db_url)
    stats = _reparse(archive, db_url)
    assert stats["noop"] == 4  # every blob read by this parser already: nothing extracted again
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))
    assert len(_versions(archive)) == 1


def test_reparse_rebuilds_the_links_of_pages_archived_before_they_were_kept(archive, db_url):
    """An archive from before `page_pictures` (as migration 0005 leaves it): the links are read again from the pages'
    bytes."""
    _killed_before_the_joint_reading(archive, db_url)
    with archive.engine.begin() as conn:
        conn.execute(delete(T["page_pictures"]))
    _reparse(archive, db_url)
    assert _equal(_current(archive), SPEC) == len(field_keys(SPEC.template))
    with archive.reader.connect() as conn:
        links = conn.execute(select(T["page_pictures"].c.url).order_by(T["page_pictures"].c.position)).scalars()
        assert list(links) == [f"https://www.example.gov.cn/art/2024/1/1/table{n}.png" for n in (1, 2, 3)]


def test_a_rerun_changes_nothing(archive):
    _ingest(archive, "run-1", _captures("run-1", 0, PICTURES))
    before = _versions(archive)
    outcomes, stats = _ingest(archive, "run-2", _captures("run-2", 1, PICTURES, order=[2, 0, 3, 1]))
    assert outcomes == ["not_report", "unchanged", "not_report", "not_report"]
    assert stats["updated"] == 0
    assert _versions(archive) == before


def test_a_revised_page_with_a_changed_picture_is_a_new_version_and_the_old_one_stays(archive):
    _ingest(archive, "run-1", _captures("run-1", 0, PICTURES))
    changed = [PICTURES[0], table_png(tables(OTHER)[1]), PICTURES[2]]
    revised = picture_page(SPEC).replace(b"</body>", "<p>（2024年3月1日更正）</p></body>".encode())
    _ingest(archive, "run-2", [(c, revised if n == 0 else data, None)
                               for n, (c, data, _) in enumerate(_captures("run-2", 30, changed))])
    assert [seq for seq, _ in _versions(archive)] == [1, 2]
    key = CHANGED
    assert _current(archive)[key] == OTHER.values[key]
    ver, ex = T["versions"], T["extractions"]
    with archive.reader.connect() as conn:
        rows = conn.execute(select(ver.c.seq, ver.c.diff, ex.c.meta, ex.c.body)
                            .join(ex, ex.c.id == ver.c.extraction_id).order_by(ver.c.seq)).all()
    assert unpack(rows[0].meta, rows[0].body)["fields"][key] == SPEC.values[key]
    assert key in {d["key"] for d in rows[1].diff["fields"]}


def test_a_picture_changed_under_an_unchanged_page_is_read_into_its_version(archive):
    """The page's bytes are one version: re-read with the new picture (the old picture's capture stays archived)."""
    _ingest(archive, "run-1", _captures("run-1", 0, PICTURES))
    _ingest(archive, "run-2", _captures("run-2", 30, [PICTURES[0], table_png(tables(OTHER)[1]), PICTURES[2]]))
    assert _current(archive)[CHANGED] == OTHER.values[CHANGED]
    assert len(_versions(archive)) == 1


def test_a_page_whose_pictures_never_come_keeps_its_text_and_says_which_tables_are_missing(archive):
    _ingest(archive, "run-1", _captures("run-1", 0, PICTURES[:1]))
    fields = _current(archive)
    assert fields["active.regulations.issued"] == SPEC.values["active.regulations.issued"]
    assert fields["applications.new_received.total"] is None
    ex = T["extractions"]
    with archive.reader.connect() as conn:
        result = unpack(*conn.execute(select(ex.c.meta, ex.c.body).where(ex.c.is_report)).one())
    assert result["sections"]["overview"]
    assert any("table 三 not found" in w for w in result["warnings"])
    assert [p["url"] for p in result["pictures"]] == ["https://www.example.gov.cn/art/2024/1/1/table1.png"]


def test_the_export_and_the_dashboard_show_the_cells(archive, db_url):
    _ingest(archive, "run-1", _captures("run-1", 0, PICTURES))
    key = "applications.new_received.total"
    with archive.reader.connect() as conn:
        (row,) = list(rows(conn))
        report_id = conn.execute(select(T["reports"].c.id)).scalar_one()
    assert canonical_value(row[column_name(key)]) == canonical_value(SPEC.values[key])
    with client_for(db_url, archive.data_dir) as client:
        detail = client.get(f"/api/reports/{report_id}").json()
    cells = {c["key"]: c["value"] for t in detail["tables"] for row in t["rows"] for c in row if c.get("key")}
    assert cells[key] == SPEC.values[key]
    assert sum(v is not None for v in cells.values()) >= 150

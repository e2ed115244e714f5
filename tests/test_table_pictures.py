"""A page whose tables are pictures, and the pictures, fetched apart and in any order, become one report with every
cell in the archive (archive.pictures); re-runs change nothing, a page revised with a changed picture is a new version
(a picture changed under an unchanged page is read into its version), a missing picture leaves the page's text and a
warning; the export and the dashboard show the cells."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from archive import export
from archive.identity import canonical_value
from archive.ingest import Capture, Ingestor
from archive.models import T
from archive.results import unpack
from pipelines.schema import field_keys
from sandbox.documents import tables
from sandbox.evaluate import archived_reports
from sandbox.table_image import table_png
from tests.conftest_archive import T0, archive, db_url  # noqa: F401 (fixtures)
from tests.test_dashboard_fixtures import client_for
from tests.test_formats_image import needs_font, needs_ocr
from tests.test_image_tables import SPECS, _page

pytestmark = [needs_ocr, needs_font]

PAGE = "https://www.example.gov.cn/art/2024/1/1/art_1_1.html"
SPEC = SPECS["seed 1"]
OTHER = SPECS["2021 n.a. dash, fee decimals"]  # another report of the 2021 form, with other applications numbers
CHANGED = next(k for k in field_keys("2021") if k.startswith("applications.") and SPEC.values[k] != OTHER.values[k])
PICTURES = [table_png(t) for t in tables(SPEC)]


def _captures(run: str, day: int, pictures: list[bytes], order: list[int] | None = None
              ) -> list[tuple[Capture, bytes, None]]:
    when = T0 + timedelta(days=day)
    out = [(Capture(PAGE, when, run, referrer="https://www.example.gov.cn/col/col1/index.html"), _page(SPEC), None)]
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
    revised = _page(SPEC).replace("</body>".encode(), "<p>（2024年3月1日更正）</p></body>".encode())
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
        (row,) = list(export.rows(conn))
        report_id = conn.execute(select(T["reports"].c.id)).scalar_one()
    assert canonical_value(row[key]) == canonical_value(SPEC.values[key])
    with client_for(db_url, archive.data_dir) as client:
        detail = client.get(f"/api/reports/{report_id}").json()
    cells = {c["key"]: c["value"] for t in detail["tables"] for row in t["rows"] for c in row if c.get("key")}
    assert cells[key] == SPEC.values[key]
    assert sum(v is not None for v in cells.values()) >= 150

"""Archives for the dashboard tests, and the dashboard served from them (the fixtures `registry_archive` and
`client` in tests/integration/conftest.py build on them).

`registry archive`: a handful of agencies in a region tree with every coverage status, two versions of one report,
table cells of every kind (zero, blank, not applicable, unreadable, absent), failed checks, WARC-recorded captures,
crawl errors, and a report whose title, prose, cells and URL carry script payloads. Built through ingest with
synthetic extraction results, on SQLite and (with NIANBAO_TEST_PG) PostgreSQL.

`sandbox archive`: the sandbox's world fetched in-process, read by the real extractor, ingested with WARC records —
one of its reports fetched before and after its revision, so it has two versions — plus the payload report.
"""
from __future__ import annotations

import contextlib
import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

from archive.ingest.ingestor import Capture, Ingestor
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.run_tables import record_error
from archive.store.blobs import sha256_hex
from archive.store.db import Archive
from archive.store.warc import WarcFile
from archive.web.app import create_app
from archive.web.db import open_read_only
from archive.web.search import SearchIndex
from archive.web.service import Dashboard
from pipelines.document import Check, Failure
from sandbox import synthetic
from sandbox.synthetic import PARSER, T0

HOST = "127.0.0.1"

# Script payloads in everything a crawled document controls; rendered, none may run or become markup.
SCRIPT = "<script>window.__xss=1</script>"
ATTRIBUTE = '"><img src=x onerror="window.__xss=2">'
PAYLOAD_AGENCY = "注入测试局<script>window.__xss=4</script>"
PAYLOAD_TITLE = f"{PAYLOAD_AGENCY}2023年政府信息公开工作年度报告{SCRIPT}{ATTRIBUTE}"
PAYLOAD_URL = "javascript:window.__xss=3"

REGISTRY = [
    AgencyRecord("甲省", "government", "province", "330000"),
    AgencyRecord("甲市", "government", "prefecture", "330100", parent="甲省", portals=("http://jia.gov.cn/",)),
    AgencyRecord("甲市财政局", "department", "department", None, parent="甲市"),
    AgencyRecord("乙县", "government", "county", "330122", parent="甲市", portals=("http://yx.gov.cn/",)),
    AgencyRecord("乙县丙镇", "government", "township", "330122101", parent="乙县", aliases=("丙镇人民政府",)),
    AgencyRecord("乙县教育局", "department", "department", None, parent="乙县"),
    AgencyRecord("丁县", "government", "county", "330127", parent="甲市", portals=("http://dx.gov.cn/",)),
    AgencyRecord("戊省", "government", "province", "440000"),
    AgencyRecord("戊省卫生健康委员会", "department", "department", "440000", parent="戊省"),
]


def warc_capture(warc: WarcFile, url: str, body: bytes, when: datetime, content_type: str, run_id: str = "run-1",
                 **hints) -> Capture:
    """A capture as the crawler makes it: the exchange in a WARC file, its reference on the capture."""
    ref = warc.write_exchange(url, 200, [("Content-Type", content_type)], body, when)
    return Capture(requested_url=url, fetched_at=when, run_id=run_id, status=200,
                   headers={"Content-Type": content_type}, warc_file=ref.file, warc_record_id=ref.record_id,
                   warc_offset=ref.offset, **hints)


def payload_report(year: int = 2023):
    r = synthetic.report(PAYLOAD_AGENCY, year, seed="payload", published=f"{year + 1}-01-15")
    r.title = PAYLOAD_TITLE
    r.sections = {**r.sections, "overview": f"总体情况{SCRIPT}正文。\n{ATTRIBUTE}"}
    r.raw = {**{k: None if v is None else str(v) for k, v in r.fields.items()},
             "applications.new_received.commercial": SCRIPT}
    r.fields = {**r.fields, "applications.new_received.commercial": None}
    r.warnings = [f"warning {ATTRIBUTE}"]
    r.checks = [Check("R3", False, "applications.new_received.total", f"detail {SCRIPT}")]
    return r


PICTURE_PAGE = "http://jia.gov.cn/art/2024/1/1/art_1_1.html"


def picture_reading(table, url: str, data: bytes):
    """A picture of one drawn table as OCR reads it when it reads every cell right: the table's own text, merged
    cells included (the OCR itself is tested in test_image_tables; here the dashboard shows what it read)."""
    from pipelines.document import Cell, Grid
    from pipelines.extract import TABLE_PICTURE, PictureReport

    grid = Grid([[Cell(c.text, (c.row, c.col)) for c in row] for row in table.covering()], f"image {url}")
    return PictureReport(source=url, sha256=sha256_hex(data), format="image", is_report=False, reason=TABLE_PICTURE,
                         grids=[grid])


def ingest_picture_report(ing: Ingestor, warc: WarcFile, when: datetime, run_id: str) -> str:
    """A report page whose three tables are pictures (PNG, drawn by the sandbox), the pictures fetched first: the
    page is read together with them (archive.ingest.pictures). Returns the report's agency name."""
    from sandbox.documents import tables
    from sandbox.reports.seeds import seed_specs
    from sandbox.table_image import table_png
    from tests.support.pictures import picture_page

    spec = seed_specs()[1]
    for n, table in enumerate(tables(spec)):
        url = PICTURE_PAGE.rsplit("/", 1)[0] + f"/table{n + 1}.png"
        data = table_png(table)
        ing.ingest(warc_capture(warc, url, data, when + timedelta(seconds=n), "image/png", run_id,
                                referrer=PICTURE_PAGE), data, picture_reading(table, url, data))
    page = picture_page(spec)
    ing.ingest(warc_capture(warc, PICTURE_PAGE, page, when + timedelta(seconds=5), "text/html; charset=utf-8",
                            run_id), page)
    return spec.agency


@dataclass
class Built:
    """What a test needs to find in a built archive."""

    reports: dict[tuple[str, int], int] = field(default_factory=dict)  # (agency, year) → report id
    agencies: dict[str, int] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)  # report id → how many versions
    revised: list[tuple[str, int]] = field(default_factory=list)  # (agency, year) of reports revised after publication
    pictured: str | None = None  # the agency whose report's tables are pictures
    copied: list[int] = field(default_factory=list)  # reports whose current version reads like another (S5)


def _ids(arc: Archive, built: Built) -> Built:
    with arc.engine.connect() as conn:
        built.agencies = dict(conn.exec_driver_sql("SELECT name, id FROM agencies").all())
        built.reports = {(name, year): rid for name, year, rid in conn.exec_driver_sql(
            "SELECT a.name, r.year, r.id FROM reports r JOIN agencies a ON a.id = r.agency_id").all()}
        built.versions = dict(conn.exec_driver_sql("SELECT id, versions FROM reports").all())
        built.copied = list(conn.exec_driver_sql(
            "SELECT DISTINCT r.id FROM near_duplicates n JOIN reports r ON r.current_version_id = n.version_id "
            "ORDER BY r.id").scalars())
    return built


def cells_report():
    """甲市's 2023 report: one cell of every kind, and failed R1 and R4 checks."""
    r = synthetic.report("甲市", 2023, published="2024-03-31")
    r.fields = {**r.fields, "active.regulations.issued": 0, "active.regulations.repealed": None,
                "active.regulations.in_force": None, "active.licensing.decisions": None,
                "active.fees.amount_10k_yuan": 24457.4, "active.punishment.decisions": None}
    r.raw = {**{k: None if v is None else str(v) for k, v in r.fields.items()},
             "active.regulations.issued": "0", "active.regulations.repealed": "",
             "active.regulations.in_force": "不适用", "active.licensing.decisions": "约一百",
             "active.punishment.decisions": None, "active.fees.amount_10k_yuan": "24457.4"}
    r.checks = [Check("R1", False, "applications.*.natural_person", "3 + 0 != 2 + 0"),
                Check("R4", False, "review.total", "1 + 0 + 0 + 0 != 2"),
                Check("R3", True, "applications.granted.total", "ok")]
    return r


def build_registry_archive(arc: Archive) -> Built:
    with arc.engine.begin() as conn:
        register_agencies(conn, REGISTRY)
    ing = Ingestor(arc, "run-1", extractor=_no_extractor, parser_version=PARSER)
    with WarcFile(arc.warc_dir, "run-1") as warc:
        def put(url: str, r, minutes: int, content_type: str = "text/html; charset=utf-8", **hints) -> None:
            body = synthetic.body(r, stamp=url)
            ing.ingest(warc_capture(warc, url, body, T0 + timedelta(minutes=minutes), content_type, **hints), body, r)

        put("http://jia.gov.cn/czj/2022.html", synthetic.report("甲市财政局", 2022, published="2023-01-20"), 0)
        put("http://jia.gov.cn/2022.html", synthetic.report("甲市", 2022, published="2023-03-01"), 1)
        first = synthetic.report("甲市财政局", 2023, published="2024-02-05")  # 5 days late
        put("http://jia.gov.cn/czj/2023.html", first, 2)
        revised = synthetic.report("甲市财政局", 2023, published="2024-02-05")
        revised.fields = {**revised.fields, "applications.new_received.natural_person": 7}
        revised.sections = {**revised.sections, "problems": revised.sections["problems"] + "\n新增一句整改说明。"}
        put("http://jia.gov.cn/czj/2023-v2.pdf", revised, 60 * 24, "application/pdf")
        put("http://jia.gov.cn/2023.html", cells_report(), 3)
        put("http://yx.gov.cn/bz.html", synthetic.report("丙镇人民政府", 2023), 60 * 24 * 40)  # no date stated
        put("http://ws.gd.gov.cn/2023.html", synthetic.report("戊省卫生健康委员会", 2023, published="2024-01-10"), 4)
        put(PAYLOAD_URL, payload_report(), 5)
    broken = Failure("http://yx.gov.cn/jyj.doc", "", "the file is empty")
    ing.ingest(Capture(requested_url="http://yx.gov.cn/jyj.doc", fetched_at=T0, run_id="run-1",
                       agency_hint="乙县教育局", year_hint=2023), b"\x00", broken)
    ing.finish()
    with arc.engine.begin() as conn:
        record_error(conn, "crawl-9", "http://dx.gov.cn/", "unreachable", 3)
    return _ids(arc, Built())


def _no_extractor(data: bytes, source: str):
    raise AssertionError("these archives hand ingest the extraction results")


# -- the sandbox archive ----------------------------------------------------------------------------------------

def build_sandbox_archive(arc: Archive, scale: int = 2, seed: int = 3) -> Built:
    from pipelines.extract import PARSER_VERSION, extract
    from sandbox import manifest
    from sandbox.app import Options, Sandbox
    from tests.support.sandbox_client import fetch

    sb = Sandbox(Options(seed=seed, scale=scale, documents_per_format=1))
    rows = list(csv.DictReader(io.StringIO(sb.registry())))
    with arc.engine.begin() as conn:
        register_agencies(conn, [AgencyRecord(r["name"], r["kind"], r["level"] or None, r["division_code"] or None,
                                              r["parent"] or None, portals=(r["portal_url"],)) for r in rows])
    ing = Ingestor(arc, "sandbox-crawl", extractor=extract, parser_version=PARSER_VERSION)
    today, revised = sb.today, []
    with WarcFile(arc.warc_dir, "sandbox-crawl") as warc:
        def visit(report: dict, when: datetime) -> None:
            for doc in report["documents"]:
                if doc["format"] not in ("html", "xlsx"):  # the rest needs LibreOffice or OCR: slow, tested elsewhere
                    continue
                response = fetch(sb, doc["url"])
                capture = warc_capture(warc, doc["url"], response.body, when,
                                       response.content_type or "application/octet-stream", "sandbox-crawl",
                                       agency_hint=report["agency"], year_hint=report["year"])
                ing.ingest(capture, response.body)

        for report in manifest.reports(sb, fields=False):
            published = date.fromisoformat(report["published"])
            if len(report["versions"]) > 1:  # seen once before its revision, once after
                revised.append((report["agency"], report["year"]))
                sb.today = published
                visit(report, datetime.combine(published, datetime.min.time()) + timedelta(hours=10))
                sb.today = today
            visit(report, datetime.combine(min(published + timedelta(days=2), today), datetime.min.time())
                  + timedelta(hours=20))
        payload = payload_report()
        body = synthetic.body(payload)
        ing.ingest(warc_capture(warc, PAYLOAD_URL, body, T0, "text/html", "sandbox-crawl"), body, payload)
        pictured = ingest_picture_report(ing, warc, T0, "sandbox-crawl")
    ing.finish()
    with arc.engine.begin() as conn:
        for portal in sb.world.portals:
            if portal.down:
                record_error(conn, "sandbox-crawl", portal.url, "unreachable")
    return _ids(arc, Built(revised=revised, pictured=pictured))


# -- serving --------------------------------------------------------------------------------------------------

def client_for(db: str, data: Path | str | None = None) -> TestClient:
    return TestClient(create_app(Dashboard(open_read_only(db, data))), base_url=f"http://{HOST}")


def index(db: str) -> dict[str, int]:
    from archive.store.db import resolve_url

    return SearchIndex.for_writing(resolve_url(db)).update(open_read_only(db).engine)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db: str, data: Path | str | None = None) -> Iterator[str]:
    """The dashboard on a loopback port, in a thread, for a real browser; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(Dashboard(open_read_only(db, data))), host=HOST,
                                           port=_free_port(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.05)
    try:
        yield f"http://{HOST}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)

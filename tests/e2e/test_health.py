"""Monitoring: run records stored in the archive (SQLite and PostgreSQL) and as JSON, regressions between runs of a
portal, `nianbao health` worst first with its exit status and webhook.

The regressions come from real crawls of the sandbox: a first crawl, then a week later one portal redesigned (its
report column pages now say "改版中" and link nothing) and a second crawl, then a third crawl right after — an
incremental run that re-reads little — which must not raise false alarms for the untouched portals. These crawls are
the module's own, not the session's shared crawl (tests/support/shared_crawl.py): the world changes between them.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from archive.runs import PortalRecord, RunRecord, load_records, save_record
from archive.store import models as m
from archive.store.db import open_archive
from archive.store.migrate import head_revision
from crawler.ops import health
from sandbox.app import Options, Sandbox
from sandbox.http import html
from sandbox.server import ServerThread
from tests.support.crawls import ROOT, env, run_crawl, sandbox_files

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")

YEARS = "2024-2025"
REDESIGNED = "http://www.shacheng.gov.cn/"
PAGE = "<html><head><title>沙城县人民政府</title></head><body><p>网站改版中，敬请期待。</p></body></html>"


# -- the rules, on hand-made records ---------------------------------------------------------------------------------
def portal(listed=5, family="gkmlpt", pages=20, columns=1, errors=None) -> PortalRecord:
    return PortalRecord("http://a.gov.cn/", "甲县人民政府", pages, listed, listed, columns, Counter(),
                        Counter(errors or {}), family)


def run(run_id: str, *portals: PortalRecord) -> RunRecord:
    return RunRecord(run_id, (2024, 2025), {p.portal: p for p in portals})


def kinds(before, now, **limits) -> list[str]:
    return [r.kind for r in health.regressions(before, now, health.Thresholds(**limits))]


def test_reports_gone_says_whether_the_adapter_or_the_column_was_lost():
    assert kinds([portal()], portal()) == []
    assert kinds([], portal(listed=0)) == []  # nothing to compare with
    gone = health.regressions([portal(listed=7)], portal(listed=0, family="generic"))
    assert [r.kind for r in gone] == ["reports_gone"]
    assert "listed 7 reports before" in gone[0].detail and "gkmlpt adapter no longer matches" in gone[0].detail
    column = health.regressions([portal(family="generic")], portal(listed=0, family="", columns=0))[0]
    assert "report column was not found" in column.detail
    assert kinds([portal()], portal(listed=0, pages=0, errors={"unreachable": 1})) == []  # down, not redesigned
    assert kinds([portal(listed=0)], portal(listed=0)) == []  # never listed anything: not a regression


def test_adapter_lost_while_the_generic_reader_still_lists():
    assert kinds([portal(family="hanweb"), portal(family="")], portal(family="generic")) == ["adapter_lost"]
    assert kinds([portal(family="generic")], portal(family="generic")) == []
    assert kinds([portal(family="hanweb")], portal(family="")) == []  # nothing re-read this run: unknown


def test_errors_jump_by_factor_and_by_at_least_the_minimum():
    before = [portal(errors={"http_404": 2}), portal(errors={"http_404": 4}), portal(errors={"http_404": 3})]
    assert kinds(before, portal(errors={"http_404": 12})) == []  # 4 × the median 3, but only 9 more
    assert kinds(before, portal(errors={"http_404": 13})) == ["errors_jump"]
    assert kinds(before, portal(errors={"http_404": 8}), error_increase=5) == []  # under 3 × 3
    assert kinds(before, portal(errors={"http_404": 9, "network": 0}), error_increase=5) == ["errors_jump"]
    detail = health.regressions(before, portal(errors={"http_404": 20, "network": 5}))[0].detail
    assert detail.startswith("25 errors against 3 before") and "http_404 20" in detail


def test_findings_worst_first_with_streaks_and_thresholds():
    a, b, c = "http://a.gov.cn/", "http://b.gov.cn/", "http://c.gov.cn/"

    def p(url, **kw):
        return PortalRecord(url, url[7], kw.get("pages", 10), kw.get("listed", 3), 3, 1, Counter(),
                            Counter(kw.get("errors", {})), kw.get("family", "vsb"))

    down = dict(pages=0, listed=0, errors={"unreachable": 1})
    records = [run("r1", p(a), p(b), p(c, **down)), run("r2", p(a), p(b, **down), p(c, **down)),
               run("r3", p(a, listed=0), p(b, **down), p(c, **down))]
    v = health.verdict(records)
    assert [f.portal for f in v.findings] == [a, c, b]  # the regression, then the longer streak
    assert [f.streak for f in v.findings] == [1, 3, 2] and v.findings[0].regressions[0].kind == "reports_gone"
    assert v.crossed == ["1 portals regressed (more than 0)"]
    assert health.verdict(records, max_regressions=1).crossed == []
    assert health.verdict(records, max_regressions=None, max_attention=2).crossed == \
        ["3 portals need attention (more than 2)"]
    assert health.verdict(records[:1]).crossed == [] and "c" in health.render(health.verdict(records[:1]))
    assert health.verdict([]).crossed == ["no crawl runs to check"]


def test_a_record_survives_json_and_the_archive(db_url, tmp_path):
    record = run("crawl-1", portal(errors={"http_404": 2, "network": 1}),
                 PortalRecord("http://b.gov.cn/", "乙县", 0, 0, 0, 0, Counter(), Counter({"unreachable": 1})))
    record.portals["http://a.gov.cn/"].outcomes.update({"new": 3, "unchanged": 2})
    record.started, record.finished, record.requests, record.reason = 1_760_000_000.0, 1_760_000_100.0, 40, "finished"
    again = RunRecord.read(record.write(tmp_path))
    assert again.as_dict() == record.as_dict()
    archive = open_archive(db_url, tmp_path / "data")
    with archive.engine.begin() as conn:
        save_record(conn, record)
    with archive.engine.connect() as conn:
        stored = load_records(conn)
        errors = {(r.portal, r.kind): r.count for r in conn.execute(select(m.RunError.__table__))}
    assert len(stored) == 1 and stored[0].run_id == "crawl-1" and stored[0].years == (2024, 2025)
    assert stored[0].requests == 40 and stored[0].reason == "finished" and stored[0].started == record.started
    got = {p.portal: p.as_dict() for p in stored[0].portals.values()}
    want = {p.portal: p.as_dict() for p in record.portals.values()}
    # The ingestor counts outcomes in the archive (none here: nothing was ingested); the rest is the record's.
    for p in got.values():
        p.pop("outcomes")
    for p in want.values():
        p.pop("outcomes")
    assert got == want
    # The dashboard's agency page reads `no_reports` for portals that showed nothing without an error.
    assert errors[("http://b.gov.cn/", "unreachable")] == 1 and ("http://b.gov.cn/", "no_reports") not in errors


def test_the_migration_makes_the_models_run_tables(db_url, tmp_path):
    archive = open_archive(db_url, tmp_path / "data")
    run_tables = {"runs", "run_portals", "run_errors"}
    with archive.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": lambda obj, name, type_, *_: (
            obj if type_ == "table" else obj.table).name in run_tables})
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, m.Base.metadata) == []


# -- real crawls --------------------------------------------------------------------------------------------------
def redesigned(sandbox: Sandbox, host: str):
    """The sandbox with one portal redesigned: its home page as before, every other page a notice linking nothing."""
    def handle(request):
        if request.host == host and request.path not in ("/", "/robots.txt"):
            return html(PAGE)
        return sandbox.handle(request)
    return handle


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    sandbox = Sandbox(Options(scale=3, seed=3, documents_per_format=1, slow_seconds=0.3, today=dt.date(2026, 2, 16)))
    folder = tmp_path_factory.mktemp("health")
    registry, db = sandbox_files(sandbox, folder)
    week_later = ["-s", "NIANBAO_NAV_TTL_DAYS=0", "-s", "NIANBAO_LISTING_TTL_DAYS=0"]
    out = {"db": db, "folder": folder}
    with ServerThread(sandbox.handle) as server:
        sandbox.store.prewarm(sandbox.slow_documents())
        out["first"] = run_crawl(server.proxy, registry, db, YEARS, "first")
    with ServerThread(redesigned(sandbox, "www.shacheng.gov.cn")) as server:
        out["second"] = run_crawl(server.proxy, registry, db, YEARS, "second", *week_later)
        out["third"] = run_crawl(server.proxy, registry, db, YEARS, "third")
    sandbox.close()
    return out


def nianbao(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=env(""), capture_output=True,
                          text=True, timeout=timeout)


def test_the_crawls_finish_and_the_redesigned_portal_lists_nothing_after(crawls):
    for name in ("first", "second", "third"):
        assert crawls[name].code == 0, crawls[name].output[-3000:]
    by_run = {name: {p["portal"]: p for p in crawls[name].record["portals"]} for name in ("first", "second", "third")}
    assert by_run["first"][REDESIGNED]["listed"] > 0 and by_run["first"][REDESIGNED]["family"] == "trs_dynamic"
    assert by_run["second"][REDESIGNED]["listed"] == 0 and by_run["second"][REDESIGNED]["pages"] > 0


def test_the_archive_holds_each_run_as_its_json_record_says(crawls):
    archive = open_archive(str(crawls["db"]))
    with archive.engine.connect() as conn:
        stored = {r.run_id: r for r in load_records(conn)}
    assert list(stored) == ["first", "second", "third"]
    for name in stored:
        want = RunRecord.read(crawls["folder"] / "runs" / f"{name}.json")
        got = stored[name]
        assert got.years == want.years == (2024, 2025) and got.reason == want.reason == "finished"
        for url, p in want.portals.items():
            q = got.portals[url]
            assert (q.pages, q.listed, q.documents, q.columns, q.family, q.attention) == \
                (p.pages, p.listed, p.documents, p.columns, p.family, p.attention), url
            assert q.errors == +p.errors, url
            for outcome in ("new", "updated", "unchanged", "not_report"):
                assert q.outcomes[outcome] == p.outcomes[outcome], (url, outcome)


def test_health_names_the_redesigned_portal_first_and_fails(crawls):
    done = nianbao("health", "--db", str(crawls["db"]), "--json", "--runs", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["runs"] == ["first", "second", "third"]
    assert report["crossed"] == ["1 portals regressed (more than 0)"]
    first = report["findings"][0]
    assert first["portal"] == REDESIGNED and first["regressions"][0]["kind"] == "reports_gone"
    assert "trs_dynamic adapter no longer matches" in first["regressions"][0]["detail"] or \
        "report column" in first["regressions"][0]["detail"]
    assert [f["portal"] for f in report["findings"] if f["regressions"]] == [REDESIGNED]
    # The same from the JSON run records, over all three runs: the incremental third run raises no false alarm.
    done = nianbao("health", "--records", str(crawls["folder"] / "runs"), "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["runs"] == ["first", "second", "third"]
    assert [f["portal"] for f in report["findings"] if f["regressions"]] == [REDESIGNED]
    down = [f for f in report["findings"] if f["attention"] == "unreachable"]
    assert [f["streak"] for f in down] == [3]
    # Runs are compared within the window: the last two both found nothing, so the redesign is no longer a change
    # there, only a portal needing attention two runs in a row.
    done = nianbao("health", "--db", str(crawls["db"]), "--json", "--runs", "2")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["runs"] == ["second", "third"] and report["regressed"] == 0
    assert {f["portal"]: f["streak"] for f in report["findings"]}[REDESIGNED] == 2


def test_health_within_thresholds_exits_zero_and_reads_since(crawls):
    done = nianbao("health", "--db", str(crawls["db"]), "--max-regressions", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 regressed" in done.stdout and "✗ reports_gone" in done.stdout
    done = nianbao("health", "--db", str(crawls["db"]), "--since", "2999-01-01")
    assert done.returncode == 1 and "no runs" in done.stdout and "THRESHOLD CROSSED: no crawl runs" in done.stdout
    done = nianbao("health", "--db", str(crawls["db"]), "--since", "yesterday")
    assert done.returncode == 2 and "expected a date" in done.stderr


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((self.headers["Content-Type"], json.loads(body.decode("utf-8"))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_webhook_gets_the_findings_when_a_threshold_is_crossed(crawls):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        done = nianbao("health", "--db", str(crawls["db"]), "--max-regressions", "5", "--webhook", url)
        assert done.returncode == 0 and _Hook.received == []  # nothing crossed, nothing sent
        done = nianbao("health", "--db", str(crawls["db"]), "--webhook", url)
        assert done.returncode == 1
        content_type, payload = _Hook.received[0]
        assert content_type.startswith("application/json") and payload["source"] == "nianbao health"
        assert payload["findings"][0]["portal"] == REDESIGNED and payload["regressed"] == 1
    finally:
        server.shutdown()
        server.server_close()
    done = nianbao("health", "--db", str(crawls["db"]), "--webhook", url)  # nobody listens now
    assert done.returncode == 1 and "webhook" in done.stderr and "failed" in done.stderr
    done = nianbao("health", "--db", str(crawls["db"]), "--max-regressions", "-1", "--webhook-always",
                   "--webhook", url)
    assert done.returncode == 3


def test_health_on_a_missing_records_folder_or_bad_record_says_so(tmp_path):
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    done = nianbao("health", "--records", str(tmp_path))
    assert done.returncode == 2 and "cannot read the run records" in done.stderr

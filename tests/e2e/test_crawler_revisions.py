"""Known reports are revisited on their TTL: a report revised after publication (other numbers, same URL) becomes a
new version with the new numbers; an attachment re-uploaded as new bytes with the same content adds a capture but
no version. The sandbox's one revised report and one re-uploaded attachment live on its first portal. Each test
crawls on its own, not the session's shared crawl (tests/support/shared_crawl.py): the sandbox's date moves to the
change between its two runs, and the second revisits every known document (NIANBAO_DOCUMENT_TTL_DAYS=0)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from archive.store.db import Archive, open_archive
from archive.store.models import T
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from tests.support.crawls import Crawl, run_crawl, sandbox_files

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox(Options(scale=3, seed=3, documents_per_format=1))
    yield sb
    sb.close()


def _versions(archive: Archive, agency: str, year: int) -> list[int]:
    reports, versions, agencies = T["reports"], T["versions"], T["agencies"]
    with archive.reader.connect() as conn:
        return list(conn.execute(
            select(versions.c.seq).join(reports, reports.c.id == versions.c.report_id)
            .join(agencies, agencies.c.id == reports.c.agency_id)
            .where(agencies.c.name == agency, reports.c.year == year).order_by(versions.c.seq)).scalars())


@dataclass
class Before:
    item: object  # the sandbox item (revised or re-uploaded)
    versions: list[int]  # its report's versions after the first crawl
    second: Crawl  # the crawl after the change, revisiting every known document
    archive: Archive
    truth: dict  # the manifest after the change


def _crawl_before_and_after(sandbox: Sandbox, folder, change: str) -> Before:
    """Crawl the first portal three days after the item's publication, then three days after its `change`."""
    item = next(i for i in sandbox.site(sandbox.world.portals[0]).items.values() if getattr(i, change))
    registry, db = sandbox_files(sandbox, folder, sandbox.world.portals[0].host)
    with ServerThread(sandbox.handle) as server:
        sandbox.today = item.published + dt.timedelta(days=3)
        first = run_crawl(server.proxy, registry, db, str(item.year), "before")
        assert first.code == 0, first.output[-3000:]
        versions = _versions(open_archive(str(db)), item.unit.name, item.year)
        sandbox.today = getattr(item, change) + dt.timedelta(days=3)
        second = run_crawl(server.proxy, registry, db, str(item.year), "after", "-s", "NIANBAO_DOCUMENT_TTL_DAYS=0")
        truth = manifest(sandbox)
    assert second.code == 0, second.output[-3000:]
    return Before(item, versions, second, open_archive(str(db)), truth)


def test_a_revised_report_becomes_a_new_version_with_the_new_numbers(sandbox, tmp_path):
    run = _crawl_before_and_after(sandbox, tmp_path, "revised")
    item = run.item
    assert run.versions and _versions(run.archive, item.unit.name, item.year) == [*run.versions, len(run.versions) + 1]
    assert run.second.record["totals"].get("updated", 0) >= 1
    m = measure(run.archive, run.truth, range(item.year, item.year + 1))
    # Only the first portal was crawled: its reports are found, with the revised numbers as the current version's.
    assert (item.unit.name, item.year) not in m.missed and m.cells and m.field_accuracy == 1.0, m.lines()


def test_a_reuploaded_attachment_adds_a_capture_not_a_version(sandbox, tmp_path):
    run = _crawl_before_and_after(sandbox, tmp_path, "reuploaded")
    item = run.item
    assert run.versions and _versions(run.archive, item.unit.name, item.year) == run.versions
    captures = T["captures"]
    with run.archive.reader.connect() as conn:
        attachments = conn.execute(select(captures.c.requested_url, func.count(func.distinct(captures.c.sha256)))
                                   .where(captures.c.requested_url.like("%.xlsx"))
                                   .group_by(captures.c.requested_url)).all()
    assert any(count == 2 for _, count in attachments), attachments  # new bytes, archived, same version

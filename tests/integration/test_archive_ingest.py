"""Ingest: the dedup cases of issue 3, idempotency, run counts and provenance, on SQLite and PostgreSQL."""
from __future__ import annotations

import copy
import hashlib

import pytest
from sqlalchemy import func, select, text

from archive.ingest import compression_dictionary, copy_checks, stored_results
from archive.ingest.ingestor import Capture
from archive.store import models as m
from archive.store.blobs import BlobStore
from archive.store.db import open_archive
from sandbox import synthetic
from sandbox.synthetic import T0, capture, ingestor
from tests.support.archive import count, snapshot


def versions_of(archive, agency: str, year: int) -> list[dict]:
    v, r, a, s = (m.Version.__table__, m.Report.__table__, m.Agency.__table__, m.VersionSource.__table__)
    sources = select(func.count()).where(s.c.version_id == v.c.id).scalar_subquery()
    with archive.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(
            select(v.c.id, v.c.seq, v.c.fingerprint, v.c.diff, v.c.first_seen, sources.label("sources"))
            .join(r, r.c.id == v.c.report_id).join(a, a.c.id == r.c.agency_id)
            .where(a.c.name == agency, r.c.year == year).order_by(v.c.seq))]


def test_html_and_pdf_of_one_report_are_one_version_with_two_sources(archive):
    ing = ingestor(archive)
    html = synthetic.report("岚皋县行政审批服务局", 2023, seed="lg", fmt="html")
    pdf = copy.deepcopy(html)
    pdf.format = "pdf"
    # The PDF rendering carries page numbers, a running header line and different spacing and punctuation width.
    pdf.sections = {k: "第 1 页 共 3 页\n" + v.replace("，", ", ").replace("。", ". ") + "\n- 2 -"
                    for k, v in html.sections.items()}
    pdf.raw = dict.fromkeys(pdf.fields, "/")
    assert ing.ingest(capture("https://lg.gov.cn/t1.html"), synthetic.body(html), html) == "inserted"
    assert ing.ingest(capture("https://lg.gov.cn/t1.pdf", 1), synthetic.body(pdf), pdf) == "unchanged"
    [version] = versions_of(archive, "岚皋县行政审批服务局", 2023)
    assert version["sources"] == 2 and version["seq"] == 1
    assert count(archive, m.Report) == 1 and count(archive, m.Blob) == 2


def test_same_bytes_at_two_urls_is_one_blob_two_captures(archive):
    ing = ingestor(archive)
    r = synthetic.report("汉阳区政府办公室", 2022)
    data = synthetic.body(r)
    ing.ingest(capture("https://www.hanyang.gov.cn/a.shtml"), data, r)
    assert ing.ingest(capture("https://www.wuhan.gov.cn/b.shtml", 5), data, r) == "unchanged"
    assert count(archive, m.Blob) == 1 and count(archive, m.Capture) == 2 and count(archive, m.Version) == 1
    with archive.engine.connect() as conn:
        url, _first_seen = conn.execute(text("SELECT url, first_seen FROM reports")).one()
    assert url == "https://www.hanyang.gov.cn/a.shtml"  # the earliest sighting


def test_restamped_pdf_new_bytes_same_content_is_one_version(archive):
    ing = ingestor(archive)
    r = synthetic.report("浑南区国资局", 2022, fmt="pdf")
    ing.ingest(capture("http://www.hunnan.gov.cn/x.pdf"), synthetic.body(r, stamp="CreationDate 2023-01-18"), r)
    again = copy.deepcopy(r)
    again.sections["overview"] = "发布时间：2023-02-01 10:00\n" + again.sections["overview"] + "\n浏览次数：37"
    outcome = ing.ingest(capture("http://www.hunnan.gov.cn/x.pdf", 60 * 24 * 20),
                         synthetic.body(again, stamp="CreationDate 2023-02-01"), again)
    assert outcome == "unchanged"
    [version] = versions_of(archive, "浑南区国资局", 2022)
    assert version["sources"] == 2


def test_revised_numbers_make_a_new_version_with_a_field_diff(archive):
    ing = ingestor(archive)
    first = synthetic.report("兴仁市", 2022, seed="xr")
    revised = copy.deepcopy(first)
    revised.fields["applications.new_received.natural_person"] = 41
    revised.fields["active.licensing.decisions"] = None  # a blank is a change from a number, never a 0
    revised.sections["problems"] += "\n新增一条整改措施。"
    ing.ingest(capture("http://www.qxn.gov.cn/t.html"), synthetic.body(first), first)
    assert ing.ingest(capture("http://www.qxn.gov.cn/t.html", 60), synthetic.body(revised), revised) == "updated"
    v1, v2 = versions_of(archive, "兴仁市", 2022)
    assert (v1["seq"], v2["seq"]) == (1, 2) and v1["diff"] is None
    changed = {d["key"]: (d["old"], d["new"]) for d in v2["diff"]["fields"]}
    assert changed == {
        "applications.new_received.natural_person": (first.fields["applications.new_received.natural_person"], 41),
        "active.licensing.decisions": (first.fields["active.licensing.decisions"], None),
    }
    assert v2["diff"]["sections"] == [{"section": "problems", "removed": [], "added": ["新增一条整改措施。"]}]
    with archive.engine.connect() as conn:
        current = conn.execute(text("SELECT current_version_id, versions FROM reports")).one()
    assert tuple(current) == (v2["id"], 2)


def test_versions_are_ordered_by_first_sighting_not_ingest_order(archive):
    ing = ingestor(archive)
    old = synthetic.report("长春市体育局", 2023, seed="cc")
    new = copy.deepcopy(old)
    new.fields["review.total"] = 99
    ing.ingest(capture("http://js.changchun.gov.cn/t.html", 600), synthetic.body(new), new)
    assert ing.ingest(capture("http://js.changchun.gov.cn/t.html", 0), synthetic.body(old), old) == "updated"
    _v1, v2 = versions_of(archive, "长春市体育局", 2023)
    assert v2["diff"]["fields"] == [{"key": "review.total", "old": old.fields["review.total"], "new": 99}]
    with archive.engine.connect() as conn:
        assert conn.execute(text("SELECT current_version_id FROM reports")).scalar() == v2["id"]


def test_copied_previous_year_report_is_flagged_s5(archive):
    ing = ingestor(archive)
    y2022 = synthetic.report("杨凌示范区审计局", 2022, seed="yl2022")
    copied = synthetic.report("杨凌示范区审计局", 2023, seed="yl2022")  # same prose source, new year
    copied.fields = synthetic.fields("yl2023")  # new numbers: still a copy of the text
    copied.sections = {k: v.replace("2022", "2023") for k, v in copied.sections.items()}
    honest = synthetic.report("杨凌示范区审计局", 2024, seed="yl2024")
    for minutes, r in enumerate((copied, y2022, honest)):  # out of order on purpose
        ing.ingest(capture(f"https://yangling.gov.cn/{r.year}.html", minutes), synthetic.body(r), r)
    with archive.engine.connect() as conn:
        flags = conn.execute(text(
            "SELECT r1.year, r2.year, n.relation, n.similarity FROM near_duplicates n "
            "JOIN versions v1 ON v1.id = n.version_id JOIN reports r1 ON r1.id = v1.report_id "
            "JOIN versions v2 ON v2.id = n.other_version_id JOIN reports r2 ON r2.id = v2.report_id")).all()
    assert [(a, b, rel) for a, b, rel, _ in flags] == [(2023, 2022, "previous_year")]
    assert flags[0][3] >= 0.8


def test_report_copied_from_another_agency_is_flagged_both_ways(archive):
    ing = ingestor(archive)
    original = synthetic.report("仙居县下各镇", 2023, seed="xg")
    clone = synthetic.report("永嘉县溪下乡", 2023, seed="xg")
    clone.fields = synthetic.fields("xx")
    other = synthetic.report("镇康县木场乡", 2023)
    for i, r in enumerate((original, clone, other)):
        ing.ingest(capture(f"http://h{i}.gov.cn/r.html", i), synthetic.body(r), r)
    with archive.engine.connect() as conn:
        pairs = conn.execute(text(
            "SELECT a1.name, a2.name, n.relation FROM near_duplicates n "
            "JOIN versions v1 ON v1.id = n.version_id JOIN reports r1 ON r1.id = v1.report_id "
            "JOIN agencies a1 ON a1.id = r1.agency_id JOIN versions v2 ON v2.id = n.other_version_id "
            "JOIN reports r2 ON r2.id = v2.report_id JOIN agencies a2 ON a2.id = r2.agency_id ORDER BY 1")).all()
    assert [tuple(p) for p in pairs] == [("仙居县下各镇", "永嘉县溪下乡", "other_agency"),
                                         ("永嘉县溪下乡", "仙居县下各镇", "other_agency")]


def test_a_template_cluster_keeps_each_versions_closest_copies_only(archive, monkeypatch):
    monkeypatch.setattr(copy_checks, "MAX_COPIES", 2)
    ing = ingestor(archive)
    townships = [f"仙居县第{i}镇" for i in range(12)]
    for i, name in enumerate(townships):  # one county template, every pair a copy
        ing.ingest(capture(f"http://h{i}.gov.cn/r.html", i), synthetic.body(synthetic.report(name, 2023, seed="xg")),
                   synthetic.report(name, 2023, seed="xg"))
    with archive.engine.connect() as conn:
        flags = conn.execute(text("SELECT version_id, other_version_id FROM near_duplicates "
                                  "WHERE relation = 'other_agency'")).all()
    pairs = {tuple(f) for f in flags}
    assert all((b, a) in pairs for a, b in pairs)  # both ways
    assert len({a for a, _ in pairs}) == 12  # every township is flagged…
    assert len(pairs) <= 2 * 2 * 12 < 12 * 11  # …against its closest copies, not the whole county


def test_ingesting_the_same_captures_again_changes_nothing(archive):
    ing = ingestor(archive)
    items = [(capture(f"http://a.gov.cn/{i}.html", i),
              synthetic.report(f"测试县第{i % 3}局", 2020 + i % 2, seed=str(i)))
             for i in range(8)]
    first = [ing.ingest(c, synthetic.body(r), r) for c, r in items]
    before = snapshot(archive)
    again = ingestor(archive, "run-2")
    assert [again.ingest(c, synthetic.body(r), r) for c, r in items] == ["noop"] * 8
    assert snapshot(archive) == before
    assert first.count("inserted") == 6 and first.count("updated") == 2
    with archive.engine.connect() as conn:
        runs = conn.execute(text("SELECT run_id, portal, pages, new, updated, unchanged FROM run_portals")).all()
    assert [tuple(r) for r in runs] == [("run-1", "a.gov.cn", 8, 6, 2, 0)]


def test_capture_provenance_and_blob_on_disk(archive):
    ing = ingestor(archive)
    r = synthetic.report("保康县农业农村局", 2021)
    data = synthetic.body(r)
    c = Capture(
        requested_url="http://www.baokang.gov.cn/a?id=1", final_url="http://www.baokang.gov.cn/a/1.shtml",
        referrer="http://www.baokang.gov.cn/xxgk/xxgknb/", status=200, run_id="crawl-7",
        headers={"etag": '"abc"', "Last-Modified": "Fri, 18 Feb 2022 01:00:00 GMT", "Content-Type": "text/html",
                 "Content-Disposition": "inline"},
        fetched_at=T0, sha256=synthetic.digest(data), size=len(data),
        warc_file="crawl-7.warc.gz", warc_record_id="<urn:uuid:1>", warc_offset=0,
    )
    ing.ingest(c, data, r)
    with archive.engine.connect() as conn:
        row = conn.execute(select(m.Capture.__table__)).one()._mapping
        runs = conn.execute(text("SELECT id, kind FROM runs ORDER BY id")).all()
    assert (row["final_url"], row["referrer"], row["status"], row["etag"], row["last_modified"],
            row["content_type"], row["content_disposition"], row["warc_record_id"], row["run_id"]) == (
        c.final_url, c.referrer, 200, '"abc"', "Fri, 18 Feb 2022 01:00:00 GMT", "text/html", "inline",
        "<urn:uuid:1>", "crawl-7")
    assert [tuple(r) for r in runs] == [("crawl-7", "crawl"), ("run-1", "crawl")]
    assert BlobStore(archive.data_dir).get(c.sha256) == data


def test_wrong_sha256_in_capture_is_refused(archive):
    r = synthetic.report("某局", 2022)
    # a capture whose digest does not match its bytes must not be archived
    with pytest.raises(ValueError, match="sha256"):
        ingestor(archive).ingest(capture("http://x.gov.cn/", sha256="0" * 64), synthetic.body(r), r)
    assert count(archive, m.Capture) == 0


def test_the_preset_dictionary_of_stored_results_never_changes():
    """Bodies written with it cannot be read without it, byte for byte (archive/ingest/compression_dictionary.py)."""
    assert hashlib.sha256(compression_dictionary.dictionary()).hexdigest() == (
        "a111d2917d9d51b4ef28683b4537dd999d186161b0329d8de1f19b919f35b4e4")


def test_chinese_json_is_stored_unescaped_and_the_result_round_trips(archive):
    r = synthetic.report("上海市", 2022)
    r.raw = {k: ("/" if v is None else str(v)) for k, v in r.fields.items()}  # "/" for a blank: kept, unlike "0"
    ingestor(archive).ingest(capture("https://shanghai.gov.cn/a.html"), synthetic.body(r), r)
    with archive.engine.connect() as conn:
        stored = conn.execute(text("SELECT CAST(meta AS TEXT) FROM extractions")).scalar_one()
        meta, body = conn.execute(select(m.Extraction.meta, m.Extraction.body)).one()
    assert "上海市" in stored and "\\u" not in stored
    assert stored_results.unpack(meta, body) == r.as_dict()


def sources_of(archive, agency: str) -> list[tuple[int, str]]:
    with archive.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT v.seq, b.format FROM version_sources s JOIN versions v ON v.id = s.version_id "
            "JOIN blobs b ON b.sha256 = s.sha256 JOIN reports r ON r.id = v.report_id "
            "JOIN agencies a ON a.id = r.agency_id WHERE a.name = :a ORDER BY v.seq, s.sha256"), {"a": agency})]


def test_a_spreadsheet_of_the_tables_joins_the_full_version_whichever_comes_first(db_url, other_db_url, tmp_path):
    full = synthetic.report("紫阳县教育体育局", 2023)
    sheet = synthetic.spreadsheet(full)
    items = {"html": (capture("https://zy.gov.cn/a.html"), synthetic.body(full), full),
             "xlsx": (capture("https://zy.gov.cn/a.xlsx", 5), synthetic.body(sheet), sheet)}
    snapshots = []
    for order, outcomes in ((("html", "xlsx"), ["inserted", "unchanged"]), (("xlsx", "html"), ["inserted", "updated"])):
        arc = open_archive(other_db_url if snapshots else db_url, tmp_path / "-".join(order))
        ing = ingestor(arc)
        assert [ing.ingest(*items[name]) for name in order] == outcomes
        [version] = versions_of(arc, "紫阳县教育体育局", 2023)
        assert version["sources"] == 2 and version["diff"] is None
        with arc.engine.connect() as conn:  # the full rendering speaks for the version: title, sections, checks
            sections = conn.execute(text("SELECT e.fingerprint FROM versions v "
                                         "JOIN extractions e ON e.id = v.extraction_id")).scalar_one()
        assert sections == version["fingerprint"]
        snapshots.append(snapshot(arc))
        arc.engine.dispose()
    assert snapshots[0] == snapshots[1]


def test_a_spreadsheet_joins_the_earliest_full_version_with_its_tables(archive):
    ing = ingestor(archive)
    first = synthetic.report("旬阳市", 2023, seed="xy")
    reworded = copy.deepcopy(first)
    reworded.sections["problems"] += "\n补充一段说明。"  # prose revised, tables not
    ing.ingest(capture("https://xy.gov.cn/r.html", 60), synthetic.body(reworded), reworded)
    ing.ingest(capture("https://xy.gov.cn/r.xls", 90), synthetic.body(synthetic.spreadsheet(first)),
               synthetic.spreadsheet(first))
    assert sources_of(archive, "旬阳市") == [(1, "text"), (1, "text")]  # the reworded one, alone so far
    ing.ingest(capture("https://xy.gov.cn/r.html", 0), synthetic.body(first), first)  # the original, seen earlier
    assert sources_of(archive, "旬阳市") == [(1, "text"), (1, "text"), (2, "text")]
    v1, v2 = versions_of(archive, "旬阳市", 2023)
    assert (v1["sources"], v2["sources"]) == (2, 1)


def test_a_spreadsheet_matching_no_full_version_is_a_version_of_its_own(archive):
    ing = ingestor(archive)
    full = synthetic.report("白河县", 2023)
    corrected = copy.deepcopy(full)
    corrected.fields["review.total"] = 4321
    ing.ingest(capture("https://bh.gov.cn/r.html"), synthetic.body(full), full)
    sheet = synthetic.spreadsheet(corrected)
    assert ing.ingest(capture("https://bh.gov.cn/r.xlsx", 30), synthetic.body(sheet), sheet) == "updated"
    _v1, v2 = versions_of(archive, "白河县", 2023)
    assert [d["key"] for d in v2["diff"]["fields"]] == ["review.total"]
    assert v2["diff"]["sections"]  # the spreadsheet has no prose: the diff says so
    assert ing.ingest(capture("https://bh.gov.cn/r2.html", 40), synthetic.body(corrected), corrected) == "updated"
    _v1, v2 = versions_of(archive, "白河县", 2023)  # the corrected full report took the spreadsheet in
    assert v2["sources"] == 2 and [d["key"] for d in v2["diff"]["fields"]] == ["review.total"]
    assert v2["diff"]["sections"] == []


def test_the_page_announcing_an_attachment_joins_its_version_and_lends_it_its_date(db_url, other_db_url, tmp_path):
    full = synthetic.report("汉阴县", 2023, fmt="pdf")  # the report itself, in the attachment, undated
    shell = synthetic.report("汉阴县", 2023, published="2024-01-26", fields=dict.fromkeys(full.fields),
                             sections={"overview": "汉阴县2023年政府信息公开工作年度报告已经编制完成，现予以公布。"
                                                   "详见附件。"})
    items = {"page": (capture("https://hy.gov.cn/t1.html"), synthetic.body(shell), shell),
             "pdf": (capture("https://hy.gov.cn/P1.pdf", 5), synthetic.body(full), full)}
    snapshots = []
    for order in (("page", "pdf"), ("pdf", "page")):
        arc = open_archive(other_db_url if snapshots else db_url, tmp_path / "-".join(order))
        ing = ingestor(arc)
        for name in order:
            ing.ingest(*items[name])
        [version] = versions_of(arc, "汉阴县", 2023)  # one publication, not a "revision" from page to attachment
        assert version["sources"] == 2
        with arc.engine.connect() as conn:
            published, speaker = conn.execute(text(
                "SELECT r.published, e.table_only FROM reports r JOIN versions v ON v.id = r.current_version_id "
                "JOIN extractions e ON e.id = v.extraction_id")).one()
        assert (str(published), speaker) == ("2024-01-26", False)  # the attachment speaks, with the page's date
        snapshots.append(snapshot(arc))
        arc.engine.dispose()
    assert snapshots[0] == snapshots[1]
    # Alone, a shell still says the report was published.
    arc = open_archive(db_url, tmp_path / "alone")
    ingestor(arc).ingest(capture("https://hy.gov.cn/t2.html"), synthetic.body(shell), shell)
    assert len(versions_of(arc, "汉阴县", 2023)) == 1

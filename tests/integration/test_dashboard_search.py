"""Search: agencies by name and alias; reports by full text (SQLite FTS5 / PostgreSQL), kept up to date."""
from __future__ import annotations

from datetime import timedelta

from archive.ingest.ingestor import Capture, Ingestor
from archive.store.db import open_archive
from archive.web.search import parse_query, tokens
from sandbox import synthetic
from sandbox.synthetic import PARSER, T0
from tests.support.dashboard import PAYLOAD_AGENCY, client_for, index


def test_bigrams_and_queries():
    assert tokens("复议申请2023年度，ＡＢ") == ["复议", "议申", "申请", "2023", "年度", "ab"]
    assert tokens("县") == ["县"]
    (term,) = parse_query("复议申")
    assert term.tokens == ("复议", "议申") and not term.prefix
    (term,) = parse_query("2023年")
    assert term.tokens == ("2023", "年") and term.prefix
    assert parse_query("  ，。 ") == []


def prose_phrase(result: dict) -> str:
    """Twelve characters from inside a report's overview: text no other report shares."""
    line = result["sections"]["overview"].splitlines()[3]
    return line[line.index("，") + 3:line.index("，") + 15]


def test_agencies_by_name_and_alias(client):
    c, _ = client
    found = c.get("/api/search", params={"q": "丙镇"}).json()
    assert [h["agency"]["name"] for h in found["agencies"]] == ["乙县丙镇"]
    by_alias = c.get("/api/search", params={"q": "丙镇人民"}).json()
    assert by_alias["agencies"][0]["matched"] == "丙镇人民政府"
    assert c.get("/api/search", params={"q": "%"}).json()["agencies"] == []
    none_yet = c.get("/api/search", params={"q": "政府信息"}).json()
    assert none_yet["indexed_reports"] == 0 and none_yet["reports"] == []


def test_full_text_follows_the_archive(registry_archive):
    db, data, built = registry_archive
    assert index(db) == {"indexed": len(built.reports), "removed": 0, "reports": len(built.reports)}
    assert index(db)["indexed"] == 0  # nothing changed: nothing to do
    target = synthetic.report("甲市财政局", 2022, published="2023-01-20").as_dict()
    phrase = prose_phrase(target)
    with client_for(db, data) as c:
        hit = c.get("/api/search", params={"q": phrase}).json()
        assert [h["report_id"] for h in hit["reports"]] == [built.reports[("甲市财政局", 2022)]]
        assert hit["report_matches"] == 1 and phrase in hit["reports"][0]["snippet"]
        assert hit["indexed_reports"] == len(built.reports) and hit["index_updated_at"]
        two = c.get("/api/search", params={"q": phrase[:2] + " " + phrase[5:8]}).json()
        assert built.reports[("甲市财政局", 2022)] in [h["report_id"] for h in two["reports"]]
        assert c.get("/api/search", params={"q": "年度报告"}).json()["report_matches"] == len(built.reports)
        page = c.get("/search", params={"q": phrase}).text
        assert f'href="/reports/{built.reports[("甲市财政局", 2022)]}"' in page

    # A new version replaces the old text in the index: its phrase no longer matches, the new one does.
    arc = open_archive(db, data)
    revised = synthetic.report("甲市财政局", 2022, seed="rewritten", published="2023-01-20")
    ing = Ingestor(arc, "run-2", extractor=lambda *_: revised, parser_version=PARSER)
    ing.ingest(Capture(requested_url="http://jia.gov.cn/czj/2022-new.html", fetched_at=T0 + timedelta(days=9),
                       run_id="run-2"), synthetic.body(revised), revised)
    arc.engine.dispose()
    assert index(db)["indexed"] == 1
    with client_for(db, data) as c:
        assert c.get("/api/search", params={"q": phrase}).json()["reports"] == []
        new = c.get("/api/search", params={"q": prose_phrase(revised.as_dict())}).json()
        assert [h["report_id"] for h in new["reports"]] == [built.reports[("甲市财政局", 2022)]]
        payload = c.get("/api/search", params={"q": "注入测试"}).json()
        assert payload["agencies"][0]["agency"]["name"] == PAYLOAD_AGENCY
